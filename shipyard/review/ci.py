"""Which stacks a change touches, for CI: preview (and deploy) exactly those.

A stack is touched when its `Pulumi.<stack>.yaml` changes. Anything else that can change what a
stack creates — the program, the components, the helpers, requirements, a build context —
touches every stack; only documentation (Markdown) touches none.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from shipyard.platforms import PLATFORMS

if TYPE_CHECKING:
    from shipyard.config.schema import StackConfig

_STACK_FILE = re.compile(r"Pulumi\.(?P<stack>[^/]+)\.yaml")
_NO_EFFECT = re.compile(r".*\.md")
# What git reports as the "before" of a push that created the branch.
NULL_SHA = "0" * 40


def touched_stacks(changed_paths: Iterable[str], stacks: Iterable[str]) -> list[str]:
    """The stacks (of `stacks`, those that exist now) that the changed paths affect."""
    existing = sorted(stacks)
    touched: set[str] = set()
    for path in changed_paths:
        stack_file = _STACK_FILE.fullmatch(path)
        if stack_file:
            touched.add(stack_file["stack"])
        elif not _NO_EFFECT.fullmatch(path):
            return existing
    return [stack for stack in existing if stack in touched]


def changed_since(base: str, root: Path) -> list[str] | None:
    """Paths changed between git `base` and HEAD, or None when `base` is unknown (every stack
    is then touched: a new branch, or history too shallow)."""
    if base == NULL_SHA:
        return None
    result = subprocess.run(["git", "-C", str(root), "diff", "--name-only", f"{base}...HEAD"],
                            capture_output=True, text=True, check=False)
    return result.stdout.splitlines() if result.returncode == 0 else None


def refresh_first(config: StackConfig) -> bool:
    """Whether `pulumi up` of the stack must refresh its state first: one of its platforms'
    orchestrators changes deployed services by itself (`Platform.refresh_before_up`)."""
    return any(PLATFORMS[name].refresh_before_up for name in config.enabled_platforms())
