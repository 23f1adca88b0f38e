"""Boundaries of the rooms: shared_db is usable without Flask (jobs, CLI, other services)."""
import ast
from pathlib import Path

SHARED_DB = Path(__file__).resolve().parent.parent / "shared_db"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_shared_db_never_imports_flask_or_the_web_parts():
    forbidden = {"flask", "flask_login", "flask_wtf", "flask_limiter", "ivr", "agent_console", "online_api"}
    offenders = {str(p.relative_to(SHARED_DB)): imported_modules(p) & forbidden
                 for p in SHARED_DB.rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}
