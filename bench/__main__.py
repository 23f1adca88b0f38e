"""`python -m bench [NAME ...] --size smoke|full [--set key=value]`: run benchmarks, print and store figures."""
from __future__ import annotations

import argparse
import sys

from bench.runner import run_selected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--size", choices=("smoke", "full"), default="smoke")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a size parameter, e.g. --set processes=16")
    args = parser.parse_args(argv)
    overrides = dict(item.split("=", 1) for item in args.overrides)
    results = run_selected(args.names, args.size, overrides, echo=print)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
