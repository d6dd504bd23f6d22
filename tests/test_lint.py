"""The linter (ruff, configured in ruff.toml) finds nothing in the project's Python."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import PROJECT


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."],
                            cwd=PROJECT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
