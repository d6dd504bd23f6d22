"""The URN ledger: every URN a shipped stack has ever had stays reachable.

Pulumi identifies a resource by its URN (stack, project, parent types, type, name); a URN that
disappears from the program means `pulumi up` deletes the resource and creates a new one. So
`tests/urns/<stack>.txt` lists each shipped stack's URNs, `make golden` adds new ones (never
drops any), and a test fails when a listed URN is neither in the plan nor covered by an
`aliases=` option of a resource in it. Deleting a resource on purpose means deleting its line.

`python -m shipyard.review.urns` updates the ledgers of every shipped stack.
"""

from __future__ import annotations

from pathlib import Path

from shipyard import PROJECT_ROOT, shipped_stacks
from shipyard.review.engine import Plan, Resource, run

LEDGER_DIR = PROJECT_ROOT / "tests" / "urns"


def ledger_path(stack: str, directory: Path = LEDGER_DIR) -> Path:
    return directory / f"{stack}.txt"


def read(stack: str, directory: Path = LEDGER_DIR) -> set[str]:
    path = ledger_path(stack, directory)
    return set(path.read_text().split()) if path.exists() else set()


def _type_and_name(urn: str) -> tuple[str, str]:
    *_, qualified_type, name = urn.split("::")
    return qualified_type.split("$")[-1], name


def _covers(resource: Resource, urn: str) -> bool:
    """Whether `resource` is the one `urn` named, by its URN or one of its aliases (a full URN,
    or a new name for the same type)."""
    type_, name = _type_and_name(urn)
    return urn == resource.urn or urn in resource.aliases or (
        type_ == resource.type and name in resource.aliases)


def lost(plan: Plan, ledger: set[str]) -> list[str]:
    """Ledger URNs the plan would delete: neither present nor aliased."""
    present = {r.urn for r in plan.resources}
    return sorted(urn for urn in ledger - present
                  if not any(_covers(r, urn) for r in plan.resources))


def record(plan: Plan, directory: Path = LEDGER_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    urns = read(plan.stack, directory) | {r.urn for r in plan.resources}
    ledger_path(plan.stack, directory).write_text("\n".join(sorted(urns)) + "\n")


def main() -> None:
    for stack in shipped_stacks():
        record(run(stack))
        print(ledger_path(stack).relative_to(PROJECT_ROOT))


if __name__ == "__main__":
    main()
