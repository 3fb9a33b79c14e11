"""The repository passes its own linters: ruff check + ruff format --check, codespell, and mypy on the package.

All are configured in pyproject.toml and run by `make lint` (and by pre-commit, .pre-commit-config.yaml).
"""

import subprocess
import sys

from tests.helpers import ROOT


def _run(*args):
    return subprocess.run([sys.executable, '-m', *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_check_and_format():
    for args in (['check', '.'], ['format', '--check', '.']):
        proc = _run('ruff', *args)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_codespell():
    proc = _run('codespell_lib')
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_package_type_checks():
    proc = _run('mypy', '--cache-dir', '/dev/null')  # a clean run: no stale cache can hide an error
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr
    assert 'Success: no issues found' in proc.stdout
