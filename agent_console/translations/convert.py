"""Move texts from an old ``agent_console/messages.py`` (key -> (de, en, tr)) into the gettext catalogues.

    python -m agent_console.translations.convert [agent_console/messages.py] [--overwrite]

For a branch written before the console switched to gettext: run this on the branch's messages.py
(after a rebase it is the file git left behind), then ``git rm agent_console/messages.py``.
``{name}`` placeholders become ``%(name)s`` (and a literal ``%`` in such a text becomes ``%%``).
Keys already in the catalogues keep the catalogue's text unless ``--overwrite`` is given; differing
ones are listed so nothing changes silently.
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from agent_console import translations

_BRACES = re.compile(r"\{(\w+)\}")


def read_messages(path: Path) -> dict[str, tuple[str, str, str]]:
    """The `_TEXTS` dict of a messages.py file, read without importing it."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
        if any(isinstance(target, ast.Name) and target.id == "_TEXTS" for target in targets):
            return ast.literal_eval(node.value)
    raise SystemExit(f"{path}: no _TEXTS dict found")


def to_gettext(text: str) -> str:
    """A str.format text in gettext's Python format: {code} -> %(code)s, % -> %% where placeholders exist."""
    if not _BRACES.search(text):
        return text
    return _BRACES.sub(r"%(\1)s", text.replace("%", "%%"))


def merge(old: dict[str, tuple[str, str, str]], overwrite: bool) -> tuple[int, list[str]]:
    """Merge old texts into the catalogues; return how many keys were written and which differing ones were kept."""
    table = translations.texts()
    written, kept = 0, []
    for key, triple in old.items():
        row = dict(zip(translations.LANGUAGES, (to_gettext(text) for text in triple), strict=True))
        if key in table and table[key] != row and not overwrite:
            kept.append(key)
            continue
        if table.get(key) != row:
            table[key] = row
            written += 1
    translations.save(table)
    return written, kept


def main(argv: list[str]) -> int:
    """Convert the named messages.py (default agent_console/messages.py)."""
    overwrite = "--overwrite" in argv
    paths = [arg for arg in argv if arg != "--overwrite"] or ["agent_console/messages.py"]
    for path in paths:
        written, kept = merge(read_messages(Path(path)), overwrite)
        print(f"{path}: {written} texts written to the catalogues")
        if kept:
            print("kept the catalogue's text for these differing keys (use --overwrite to take the file's):")
            print("\n".join(f"  {key}" for key in kept))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
