"""GIVEN the command line (`python -m shipyard ...`) WHEN it is used as a newcomer would (piped
into `head`, a stack name mistyped, a flag left out) THEN it ends quietly or with one line that
names the fix, exit code 2, and no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import PROJECT


def _closed_early(*argv: str) -> subprocess.CompletedProcess:
    """Run `python -m shipyard ARGV | head -0`: the reader is gone before the first write, so
    every write the command makes hits a closed pipe (EPIPE)."""
    process = subprocess.Popen([sys.executable, "-m", "shipyard", *argv], cwd=PROJECT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.stderr.close()
    return subprocess.CompletedProcess(argv, process.wait(), "", stderr)


@pytest.mark.parametrize("argv", [("plan", "dev"), ("graph", "dev"), ("stacks",)],
                         ids=["plan (text)", "graph (bytes)", "stacks"])
def test_a_reader_that_closes_the_pipe_gets_no_traceback(argv):
    result = _closed_early(*argv)
    assert result.stderr == ""
    assert result.returncode == 1


def test_piping_into_head_prints_the_first_line_and_nothing_on_stderr():
    result = subprocess.run(f"{sys.executable} -m shipyard plan prod --json | head -1",
                            shell=True, cwd=PROJECT, capture_output=True, text=True, check=True)
    assert result.stdout == "{\n" and result.stderr == ""
