"""The layers of the tree hold: import-linter's contracts (.importlinter) and ruff, run as part of the suite."""
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept():
    """Arrows point down: hotline, channels (never each other), services, shared_db (no Flask)."""
    lint_imports = shutil.which("lint-imports")
    assert lint_imports, "import-linter is part of the test extra: pip install -e '.[test]'"
    result = run(lint_imports)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff")
    assert ruff, "ruff is part of the test extra: pip install -e '.[test]'"
    result = run(ruff, "check", ".")
    assert result.returncode == 0, result.stdout[-3000:]
