"""Command line for the console's catalogues: add a text, compile, or list gaps.

    python -m agent_console.translations add KEY GERMAN ENGLISH TURKISH
    python -m agent_console.translations compile
    python -m agent_console.translations check
"""
from __future__ import annotations

import sys

from agent_console import translations


def main(argv: list[str]) -> int:
    """Run one subcommand; return the exit status."""
    if len(argv) == 5 and argv[0] == "add":
        translations.add(*argv[1:])
        print(f"added {argv[1]} to {', '.join(translations.LANGUAGES)} and compiled")
        return 0
    if argv == ["compile"]:
        translations.compile_all()
        return 0
    if argv == ["check"]:
        table = translations.texts()
        gaps = [f"{key} [{lang}]" for key, row in table.items() for lang, text in row.items() if not text]
        print("\n".join(gaps) or "every key has every language")
        return 1 if gaps else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
