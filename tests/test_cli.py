"""GIVEN the command line (`python -m shipyard ...`) WHEN it is used as a newcomer would (piped
into `head`, a stack name mistyped, a flag left out) THEN it ends quietly or with one line that
names the fix, exit code 2, and no traceback."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shipyard.cli import build_parser, main
from shipyard.review import check
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


# --- --stack-file on check and diff, -C on every command -----------------------------------------

EXAMPLE = PROJECT / "examples" / "two-service-app"


def test_every_command_takes_dash_c_and_every_one_stack_command_takes_stack_file():
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    options = {name: {o for action in sub._actions for o in action.option_strings}
               for name, sub in commands.choices.items()}
    assert [name for name, found in options.items() if "-C" not in found] == []
    assert sorted(name for name, found in options.items() if "--stack-file" in found) == [
        "check", "ci-policy", "cost", "diff", "graph", "plan"]


def test_check_reads_an_example_with_stack_file(capsys):
    assert main(["check", "eks"]) == 2  # no Pulumi.eks.yaml in the project: only the example
    capsys.readouterr()
    example = EXAMPLE / "Pulumi.eks.yaml"
    code = main(["check", "eks", "--stack-file", str(example), "--json"])
    review = check.run("eks", stack_file=example)
    assert code == (1 if check.failed(review) else 0)
    assert capsys.readouterr().out == check.to_json("eks", review) + "\n"
    assert any(r.status == "pass" and r.control.id.startswith("PSS") for r in review.results)


def test_diff_compares_two_stack_files(capsys):
    assert main(["diff", "ecs", "eks", "--stack-file", str(EXAMPLE / "Pulumi.ecs.yaml"),
                 "--other-stack-file", str(EXAMPLE / "Pulumi.eks.yaml")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Changes from ecs to eks:\n")
    assert "  - aws:ecs/cluster:Cluster shipyard-<stack>  (only in ecs)" in out.splitlines()


def test_diff_of_an_example_against_a_git_ref_in_another_project(tmp_path, capsys):
    """-C names the repository, --stack-file the example, read as it is at --base and now."""
    repo = tmp_path / "repo"
    shutil.copytree(PROJECT, repo, ignore=shutil.ignore_patterns(
        "venv", "venv-checkov", ".git", "__pycache__", "tests", "bench"))
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    example = repo / "examples" / "two-service-app" / "Pulumi.ecs.yaml"
    assert main(["diff", "ecs", "--stack-file", str(example), "--base", "HEAD",
                 "-C", str(repo)]) == 0
    assert capsys.readouterr().out == "No differences between ecs@HEAD and ecs (working tree).\n"
    text = example.read_text()
    example.write_text(text.replace("replicas: 2", "replicas: 3", 1))  # web
    assert main(["diff", "ecs", "--stack-file", str(example), "--base", "HEAD",
                 "-C", str(repo)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Changes from ecs@HEAD to ecs (working tree):"
    assert out[-3:] == ["  ~ aws:ecs/service:Service web", "      desiredCount: 2 → 3",
                        "0 only in ecs (working tree), 0 only in ecs@HEAD, 2 changed"]
    assert main(["diff", "ecs", "--stack-file", str(EXAMPLE / "Pulumi.ecs.yaml"), "--base", "HEAD",
                 "-C", str(repo)]) == 2
    assert capsys.readouterr().err == (
        f"--stack-file {EXAMPLE / 'Pulumi.ecs.yaml'}: not inside {repo}, so it has no version at "
        f"HEAD: give a file in the repository\n")


@pytest.fixture(scope="module")
def other_project(tmp_path_factory) -> Path:
    """A second Pulumi project: this checkout's program, one stack `copy` (dev's config)."""
    root = tmp_path_factory.mktemp("other")
    for item in ("__main__.py", "Pulumi.yaml", "components", "shipyard"):
        os.symlink(PROJECT / item, root / item)
    shutil.copy(PROJECT / "Pulumi.dev.yaml", root / "Pulumi.copy.yaml")
    shutil.copytree(PROJECT / "docs", root / "docs")
    return root


@pytest.mark.parametrize("argv, code, expected", [
    (["plan", "copy"], 0, "shipyard-copy"),
    (["plan", "copy", "--json"], 0, '"stack": "copy"'),
    (["cost", "copy"], 0, "copy"),
    (["graph", "copy"], 0, "digraph"),
    (["check", "copy"], 0, "controls:"),
    (["diff", "copy", "copy"], 0, "No differences between copy and copy."),
    (["stacks"], 0, '["copy"]'),
    (["runners"], 0, '{"copy": ["ubuntu-24.04"]}'),
    (["ci-policy", "preview", "copy", "--account", ACCOUNT], 0, "shipyard-copy-ci-preview"),
    (["docs", "--check"], 1, "generated docs are stale (docs/costs.md)"),  # it lists dev, prod...
])
def test_dash_c_points_every_command_at_another_project(other_project, capsys, argv, code,
                                                        expected):
    assert main([*argv, "-C", str(other_project)]) == code
    captured = capsys.readouterr()
    assert expected in captured.out and captured.err == ""
