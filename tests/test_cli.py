"""GIVEN the command line (`python -m shipyard ...`) WHEN it is used as a newcomer would (piped
into `head`, a stack name mistyped, a flag left out) THEN it ends quietly or with one line that
names the fix, exit code 2, and no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from shipyard.cli import main
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


ACCOUNT = "123456789012"


@pytest.mark.parametrize("argv, message", [
    (["plan", "deev"],
     f"no stack file Pulumi.deev.yaml in {PROJECT}; did you mean 'dev'? "
     f"(stacks: dev, prod, staging)"),
    (["cost", "qa"], f"no stack file Pulumi.qa.yaml in {PROJECT}; the stacks are: dev, prod, staging"),
    (["plan", "dev", "--stack-file", "/nonexistent.yaml"], "--stack-file /nonexistent.yaml: no such file"),
    (["graph", "dev", "--stack-file", "examples"], "--stack-file examples: no such file"),
    (["ci-policy", "trust", "--account", "12345", "--pull-requests", "--repository", "acme/shop"],
     "--account must be a 12-digit AWS account id, not '12345'"),
    (["ci-policy", "preview", "dev", "--account", "1234567890123"],
     "--account must be a 12-digit AWS account id, not '1234567890123'"),
    (["ci-policy", "trust", "--account", ACCOUNT, "--pull-requests"],
     "trust needs --repository owner/name: the GitHub repository whose workflows assume the "
     "role, e.g. --repository acme/shop"),
])
def test_a_usage_error_is_one_line_that_names_the_fix(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [message]
    assert captured.out == ""


def test_a_directory_that_is_not_a_project_says_so(capsys, tmp_path):
    assert main(["plan", "dev", "-C", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"no Pulumi.yaml in {tmp_path}: give the Pulumi project directory (-C DIR)"]


def test_a_project_without_stacks_says_so(capsys, tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: shipyard\nruntime: python\n")
    assert main(["plan", "dev", "-C", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"no stack file Pulumi.dev.yaml in {tmp_path}; there are no Pulumi.<stack>.yaml files "
        f"there (is it the project directory?)"]


def test_numbers_yaml_reads_where_a_string_is_expected_say_to_quote_them(capsys, tmp_path):
    stack = tmp_path / "Pulumi.quote.yaml"
    stack.write_text("""config:
  aws:region: us-east-1
  shipyard:ecr: {repositories: [{name: shop/api}]}
  shipyard:ecs: {enabled: true}
  shipyard:services: [{name: api, repository: shop/api, tag: 1.4}]
  shipyard:eks: {enabled: true, publicAccessCidrs: [203.0.113.0/24], version: 1.30,
                 nodeGroups: [{name: a}]}
""")
    assert main(["plan", "quote", "--stack-file", str(stack)]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "quote: invalid stack config",
        '  shipyard:services[0].tag: YAML reads 1.4 as a number, not a string: quote it: tag: "1.4"',
        '  shipyard:eks.version: YAML reads 1.30 as the number 1.3, not a string: quote it: '
        'version: "1.30"']
    assert captured.out == ""
