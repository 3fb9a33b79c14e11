"""The repository passes its own linters (ruff check + ruff format --check, configured in pyproject.toml)."""

import subprocess
import sys

from conftest import ROOT


def test_ruff_check_and_format():
    for args in (['check', '.'], ['format', '--check', '.']):
        proc = subprocess.run([sys.executable, '-m', 'ruff', *args], cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
