"""The layering rules of STYLE.md, enforced: routes never query, services never render, and
no file grows past ~600 lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_module_starts_with_a_docstring():
    for path in (PROJECT_ROOT / "app").rglob("*.py"):
        source = path.read_text()
        assert source.lstrip().startswith('"""'), f"{path.relative_to(PROJECT_ROOT)}"


# Files still over the limit, each with why; a file leaves this list when it is split.
LONG_FILES_ALLOWED = {
    "app/demo.py": "the demo partnership's data, read top to bottom as one story",
}


def test_no_file_in_app_grows_past_600_lines():
    """A module with several flows names a file for each (DESIGN.md), so none grows past ~600."""
    counted = {
        str(path.relative_to(PROJECT_ROOT)): len(path.read_text().splitlines())
        for path in (PROJECT_ROOT / "app").rglob("*.py")
    }
    over = {name: lines for name, lines in counted.items() if lines > 600}
    assert not set(over) - set(LONG_FILES_ALLOWED), f"split by job: {over}"
