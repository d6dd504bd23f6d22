"""Every command the README and the docs/ pages show runs as written, and every sample of output
they show is what a real run prints (issue 18: a newcomer's first hour).

The convention (README: Contributing):
- a fenced `sh` block holds commands, one per line (a trailing `\\` continues it), run from a fresh
  checkout with the venv activated; each must exit 0 unless its comment says `exit N`;
- an `sh` block that starts `#!` is a script's text, not commands: not run;
- an `sh` block whose first line is `# needs ...` (`# needs AWS: the Pulumi CLI and credentials`,
  `# needs Docker`...) needs what no offline machine has: it is not run;
- in a fenced `console` block, `$ ` lines are commands and the lines after each are a sample of its
  output: they must match the real output line for line, where a line `...` stands for any lines
  and `...` inside a line for any text.

The fresh checkout is a new git repository of this working tree's files (what `git clone` of it
would give), with `venv` pointing at this checkout's installed venv, so `make deps` has nothing
to do. Each distinct command runs once per session.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROJECT

# A newcomer types these commands in a shell, not under `make test`: a parent make's variables
# would make the commands' own make print "Entering directory" and share its jobserver.
PARENT_MAKE = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")


def _newcomer_environment(**extra: str) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items()
                   if name not in PARENT_MAKE and name != "PYTHONPATH"}
    return {**environment, **extra}

PAGES = ["README.md", *sorted(str(p.relative_to(PROJECT)) for p in (PROJECT / "docs").glob("*.md"))]
NEEDS = "# needs "
FENCE = re.compile(r"^(?P<indent> *)```(?P<info>[\w-]*)\s*$")
EXIT = re.compile(r"#.*?\bexit (\d+)\b")
ELIDED = "..."
# A trailing comment, as the docs write them: after blanks, with no quote in it.
COMMENT = re.compile(r"\s+#[^'\"]*$")
# Programs that need what no offline machine has (the Pulumi CLI and AWS credentials, an engine).
ONLINE_PROGRAMS = ("pulumi", "aws", "docker", "kubectl", "nomad")


@dataclass(frozen=True)
class Block:
    page: str
    line: int            # of the opening fence, 1-based
    info: str            # sh, console, yaml...
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Command:
    page: str
    line: int
    text: str
    exit_code: int
    sample: tuple[str, ...] | None = None   # console blocks: the output shown


def blocks(page: str) -> list[Block]:
    found, current, indent, start, info = [], None, "", 0, ""
    for number, line in enumerate((PROJECT / page).read_text().splitlines(), 1):
        fence = FENCE.match(line)
        if current is None and fence:
            current, indent, start, info = [], fence["indent"], number, fence["info"]
        elif current is not None and fence and fence["indent"] == indent and not fence["info"]:
            found.append(Block(page, start, info, tuple(current)))
            current = None
        elif current is not None:
            current.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
    assert current is None, f"{page}:{start}: a fenced block is not closed"
    return found


def _expected_exit(text: str) -> int:
    found = EXIT.search(text)
    return int(found.group(1)) if found else 0


def commands(block: Block) -> list[Command]:
    if block.info == "sh":
        if block.lines and block.lines[0].startswith((NEEDS, "#!")):  # or a script's text
            return []
        joined, pending = [], ""
        for line in block.lines:
            pending += line
            if line.endswith("\\"):
                pending = pending[:-1]
                continue
            if pending.strip() and not pending.lstrip().startswith("#"):
                joined.append(pending)
            pending = ""
        return [Command(block.page, block.line, text, _expected_exit(text)) for text in joined]
    if block.info == "console":
        found: list[Command] = []
        for line in block.lines:
            if line.startswith("$ "):
                found.append(Command(block.page, block.line, line[2:], -1, ()))
            else:
                assert found, f"{block.page}:{block.line}: output before the first `$ ` command"
                last = found[-1]
                found[-1] = Command(last.page, last.line, last.text, -1, (*last.sample, line))
        return found
    return []


ALL_BLOCKS = [block for page in PAGES for block in blocks(page)]
ALL_COMMANDS = [command for block in ALL_BLOCKS for command in commands(block)]


def _matches(sample: tuple[str, ...], output: list[str]) -> str | None:
    """None when `sample` is `output` with elisions, else what differs."""
    position, skipping = 0, False
    for shown in sample:
        if shown.strip() == ELIDED:
            skipping = True
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in shown.rstrip().split(ELIDED)))
        while position < len(output) and not pattern.fullmatch(output[position].rstrip()):
            if not skipping:
                return f"expected {shown!r}, the run printed {output[position]!r}"
            position += 1
        if position == len(output):
            return f"the run never printed {shown!r}"
        position, skipping = position + 1, False
    if not skipping and position < len(output):
        return f"the run printed more: {output[position]!r} (end the sample with `...`)"
    return None


@pytest.fixture(scope="session")
def fresh_checkout(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fresh") / "shipyard"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=PROJECT, capture_output=True, check=True).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = PROJECT / name
        if source.is_file() and not source.is_symlink():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    git = ["git", "-c", "user.name=newcomer", "-c", "user.email=newcomer@example.com"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "fresh clone"]):
        subprocess.run(git + step, cwd=root, check=True, capture_output=True)
    # The venv `make deps` made (a link: .gitignore's `venv/` ignores directories only).
    venv = (PROJECT / "venv").resolve()
    os.symlink(venv, root / "venv")
    stamp = (venv / ".requirements-installed").stat().st_mtime
    os.utime(root / "requirements.txt", (stamp - 1, stamp - 1))
    return root


@pytest.fixture(scope="session")
def run(fresh_checkout):
    """Run a command as a newcomer who activated the venv would, once per session."""
    results: dict[str, subprocess.CompletedProcess] = {}
    venv = fresh_checkout / "venv"
    environment = _newcomer_environment(
        VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}")

    def run_once(text: str) -> subprocess.CompletedProcess:
        key = COMMENT.sub("", text)  # the same command, however commented, runs once
        if key not in results:
            results[key] = subprocess.run(["bash", "-c", text], cwd=fresh_checkout,
                                          env=environment, capture_output=True, text=True,
                                          timeout=600)
        return results[key]

    return run_once


def _needs_graphviz(text: str) -> bool:
    return bool(re.search(r"--format (png|svg)|^make graph\b", text))


@pytest.mark.parametrize("page", PAGES)
def test_every_command_runs_as_written_and_every_sample_is_what_it_prints(page, run):
    for command in (c for c in ALL_COMMANDS if c.page == page):
        if _needs_graphviz(command.text) and shutil.which("dot") is None:
            continue  # rendering needs Graphviz's dot (CI installs it: .ci/run)
        where = f"{command.page}:{command.line}: `{command.text}`"
        result = run(command.text)
        if command.sample is None:
            assert result.returncode == command.exit_code, (
                f"{where} exited {result.returncode}, not {command.exit_code}:\n{result.stderr[-2000:]}")
        else:
            assert result.returncode in (0, 1, 2), f"{where} crashed:\n{result.stderr[-2000:]}"
            output = (result.stdout + result.stderr).splitlines()
            mismatch = _matches(command.sample, output)
            assert mismatch is None, f"{where}: the sample has drifted: {mismatch}"
            assert "Traceback" not in result.stderr, where


def test_the_readme_and_docs_show_the_commands_a_newcomer_needs():
    readme = [c.text.split("#")[0].strip() for c in ALL_COMMANDS if c.page == "README.md"]
    for needed in ("make deps", ". venv/bin/activate", "python -m shipyard plan dev",
                   "python -m shipyard cost dev", "python -m shipyard check dev"):
        assert needed in readme
    assert any(c.startswith("python -m shipyard diff") for c in readme)
    assert any(c.startswith("python -m shipyard graph") for c in readme)


def test_blocks_marked_needs_need_it_and_no_other_block_does():
    for block in ALL_BLOCKS:
        if block.info != "sh" or block.lines[0].startswith("#!"):
            continue
        words = {line.split()[0] for line in block.lines if line.strip()
                 and not line.lstrip().startswith("#")}
        words |= set(re.findall(r"\$\((\w+)", "\n".join(block.lines)))
        where = f"{block.page}:{block.line}"
        if block.lines[0].startswith(NEEDS):
            assert words & set(ONLINE_PROGRAMS), f"{where}: marked `{NEEDS}...` but needs nothing"
        else:
            assert not words & set(ONLINE_PROGRAMS), (
                f"{where}: runs {sorted(words & set(ONLINE_PROGRAMS))}: mark it `{NEEDS}...`")


def test_console_samples_are_real_output():
    """Each console block's command has a sample, or is a setup step whose output is empty."""
    samples = [c for c in ALL_COMMANDS if c.sample is not None]
    assert len(samples) >= 6
    assert {"python -m shipyard check dev", "python -m shipyard plan dev"} <= {c.text for c in samples}


def test_the_sample_matcher_catches_drift():
    output = ["33 controls: 17 pass, 0 fail, 3 waived, 13 n/a", "done"]
    assert _matches(("...", "33 controls: 17 pass, 0 fail, 3 waived, 13 n/a", "..."), output) is None
    assert _matches(("33 controls: ... pass, 0 fail, 3 waived, 13 n/a", "done"), output) is None
    assert "expected" in _matches(("33 controls: 20 pass, 0 fail, 3 waived, 10 n/a", "..."), output)
    assert "never printed" in _matches(("...", "34 controls",), output)
    assert "printed more" in _matches(("33 controls: ...",), output)


@pytest.mark.parametrize("target, command", [
    ("plan", "plan prod"), ("diff", "diff prod --base HEAD"), ("cost", "cost prod"),
    ("check", "check prod"), ("graph", "graph prod --format png -o prod.png"),
    ("docs", "docs --write")])
def test_make_targets_run_the_readme_commands(fresh_checkout, target, command):
    """`make diff|cost|check|graph STACK=<stack>` (README) are the commands it shows."""
    dry_run = subprocess.run(["make", "-n", target, "STACK=prod"], cwd=fresh_checkout,
                             env=_newcomer_environment(), capture_output=True, text=True,
                             check=True).stdout.splitlines()
    assert dry_run == [f"venv/bin/python -m shipyard {command}"]
    listed = subprocess.run(["make", "help"], cwd=fresh_checkout, env=_newcomer_environment(),
                            capture_output=True, text=True, check=True).stdout
    assert f"\n{target}: " in f"\n{listed}"
