"""Running one benchmark step in a fresh Python process, so that each step's peak memory and
time are its own; the step prints its figures as JSON on its last line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_child(module: str, *args: str) -> dict:
    """Run `python -m MODULE --child ARGS` with a var directory of its own, outside any S11_*
    setting of the caller, and return the figures it printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("S11_")}
    var_dir = tempfile.mkdtemp(prefix="s11-bench-var-")
    env["S11_VAR_DIR"] = var_dir
    try:
        done = subprocess.run(
            [sys.executable, "-m", module, "--child", *args],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    return json.loads(done.stdout.strip().splitlines()[-1])
