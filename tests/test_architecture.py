"""The layering rules of STYLE.md, enforced: routes never query, services never render."""

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
