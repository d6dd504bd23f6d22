"""Desired-state diffs between two plans: two stacks, or one stack at two versions of the code.

Plans are compared in their JSON form (`plan --json`), so a plan made by another checkout (a git
ref, in a subprocess) compares like one made here. Resources are matched by type and logical
name, with each stack's own name replaced by `<stack>` so `shipyard-dev-vpc` and
`shipyard-prod-vpc` are the same resource; input values are compared the same way.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, Optional

from shipyard.aws.naming import stack_neutral
from shipyard.review import engine, lifecycle
from shipyard.review import plan as plan_view
from shipyard.review.inputs import json_document

MISSING = object()


@dataclass
class Change:
    key: str                       # "type name"
    before: Any = MISSING          # inputs, or MISSING when only in the second plan
    after: Any = MISSING
    fields: list[tuple[str, Any, Any]] = field(default_factory=list)


def _normalise(value: Any, stack: str) -> Any:
    if isinstance(value, str):
        return stack_neutral(value, engine.PROJECT_NAME, stack)
    if isinstance(value, dict):
        return {k: _normalise(v, stack) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, stack) for v in value]
    return value


def _index(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    stack = document["stack"]
    indexed = {}
    for resource in document["resources"]:
        key = f"{resource['type']} {_normalise(resource['name'], stack)}"
        indexed[key] = {"urn": _normalise(resource["urn"], stack),
                        "inputs": _normalise(resource["inputs"], stack),
                        "inputsFrom": _normalise(resource.get("inputsFrom", {}), stack),
                        "protect": resource.get("protect", False),
                        "retainOnDelete": resource.get("retainOnDelete", False)}
    return indexed


def _field_changes(path: str, before: Any, after: Any) -> list[tuple[str, Any, Any]]:
    before, after = json_document(before), json_document(after)
    if isinstance(before, dict) and isinstance(after, dict):
        changes = []
        for key in sorted(set(before) | set(after)):
            changes += _field_changes(f"{path}.{key}" if path else key,
                                      before.get(key, MISSING), after.get(key, MISSING))
        return changes
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        changes = []
        for index, (b, a) in enumerate(zip(before, after, strict=True)):
            changes += _field_changes(f"{path}[{index}]", b, a)
        return changes
    return [] if before == after else [(path, before, after)]


def compare(first: dict[str, Any], second: dict[str, Any]) -> list[Change]:
    """The changes that turn plan `first` into plan `second`, ordered by resource."""
    a, b = _index(first), _index(second)
    changes = []
    for key in sorted(set(a) | set(b)):
        if key not in b:
            changes.append(Change(key, before=a[key]))
        elif key not in a:
            changes.append(Change(key, after=b[key]))
        else:
            fields = _field_changes("", a[key]["inputs"], b[key]["inputs"])
            if a[key]["protect"] != b[key]["protect"]:
                fields.append(("[protect]", a[key]["protect"], b[key]["protect"]))
            if fields:
                changes.append(Change(key, a[key], b[key], fields))
    return _with_recomputed_inputs(changes, a, b)


class Computed(str):
    """A value only `pulumi up` knows (a replaced resource's new id): shown as is, unquoted."""


def _with_recomputed_inputs(changes: list[Change], a: dict[str, Any],
                            b: dict[str, Any]) -> list[Change]:
    """Add what a replacement changes besides itself: an input that comes from a replaced
    resource (its new ARN or id) changes too — an ECS service rolls to the new task definition
    revision — and may in turn force a replacement, and so on."""
    by_key = {c.key: c for c in changes}
    replaced = {b[c.key]["urn"]: c.key for c in changes if replacements(c)}
    while replaced:
        newly: dict[str, str] = {}
        for key, resource in b.items():
            if key not in a:
                continue
            sources = {input_: sorted(replaced[urn] for urn in urns if urn in replaced)
                       for input_, urns in resource["inputsFrom"].items()}
            fields = [(input_, Computed("(computed)"),
                       Computed(f"(computed: {', '.join(keys)} is replaced)"))
                      for input_, keys in sorted(sources.items()) if keys]
            change = by_key.get(key)
            known = {path for path, _, _ in change.fields} if change else set()
            fields = [f for f in fields if f[0] not in known]
            if not fields:
                continue
            was_replaced = bool(change and replacements(change))
            if change is None:
                change = by_key[key] = Change(key, a[key], resource, [])
            change.fields += fields
            if replacements(change) and not was_replaced:
                newly[resource["urn"]] = key
        replaced = newly
    return [by_key[key] for key in sorted(by_key)]


def replacements(change: Change) -> set[str]:
    """The changed inputs that make `pulumi up` replace this resource (shipyard.review.lifecycle)."""
    return lifecycle.replacing_inputs(_type(change), [path for path, _, _ in change.fields
                                                      if not path.startswith("[")])


def _type(change: Change) -> str:
    return change.key.split(" ", 1)[0]


def losses(change: Change) -> str:
    """What `pulumi up` would lose by deleting this resource (removed, or replaced), if anything
    others rely on; a protected resource stops `pulumi up` instead."""
    row = lifecycle.FACTS.get(_type(change))
    if row is None or not row.holds or not (change.after is MISSING or replacements(change)):
        return ""
    if (change.before or {}).get("protect"):
        return f"protected: pulumi up stops before deleting {row.holds}"
    if (change.before or {}).get("retainOnDelete"):
        return "retained: Pulumi forgets it, AWS keeps it"
    return f"deletes {row.holds}"


def _show(value: Any) -> str:
    if value is MISSING:
        return "(none)"
    return value if isinstance(value, Computed) else json.dumps(value, sort_keys=True)


def render(changes: list[Change], first: str, second: str) -> str:
    if not changes:
        return f"No differences between {first} and {second}."
    lines = [f"Changes from {first} to {second}:"]
    for change in changes:
        if change.before is MISSING:
            lines.append(f"  + {change.key}  (only in {second})")
        elif change.after is MISSING:
            loss = losses(change)
            lines.append(f"  - {change.key}  (only in {first}" + (f"; {loss})" if loss else ")"))
        else:
            forced, loss = replacements(change), losses(change)
            lines.append(f"  ~ {change.key}" + (
                f"  (replaced: {', '.join(sorted(forced))} cannot change in place"
                + (f"; {loss})" if loss else ")") if forced else ""))
            lines += [f"      {path}: {_show(b)} → {_show(a)}" for path, b, a in change.fields]
            lines += [f"      ! refused: {problem}" for problem in lifecycle.update_problems(
                _type(change), change.before["inputs"], change.after["inputs"])]
    added = sum(c.before is MISSING for c in changes)
    removed = sum(c.after is MISSING for c in changes)
    lines.append(f"{added} only in {second}, {removed} only in {first}, "
                 f"{len(changes) - added - removed} changed")
    return "\n".join(lines)


def plan_document(stack: str, root: Path = engine.PROJECT_ROOT,
                  stack_file: Optional[Path] = None) -> dict[str, Any]:
    return json.loads(plan_view.to_json(engine.run(stack, root=root, stack_file=stack_file)))


def plan_document_at(ref: str, stack: str, repo: Path = engine.PROJECT_ROOT,
                     stack_file: Optional[Path] = None) -> dict[str, Any]:
    """The plan of `stack` as the code and config at git `ref` define it (`stack_file`: the
    config in that file, as it is at `ref`; it must lie inside `repo`).

    The ref's tree is exported to a temporary directory and planned in a subprocess, so its
    modules never mix with the working tree's already imported here.
    """
    options = []
    if stack_file is not None:
        try:
            inside = Path(stack_file).resolve().relative_to(Path(repo).resolve())
        except ValueError:
            raise ValueError(f"--stack-file {stack_file}: not inside {repo}, so it has no "
                             f"version at {ref}: give a file in the repository") from None
        options = ["--stack-file", inside.as_posix()]
    archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", ref],
                             capture_output=True, check=False)
    if archive.returncode != 0:
        raise ValueError(f"cannot read git ref {ref!r}: {archive.stderr.decode().strip()}")
    with tempfile.TemporaryDirectory(prefix="shipyard-base-") as directory:
        with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
            tar.extractall(directory, filter="data")
        result = subprocess.run([sys.executable, "-m", "shipyard", "plan", stack, "--json",
                                 *options],
                                cwd=directory, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ValueError(f"planning {stack} at {ref} failed:\n{result.stderr.strip()}")
    return json.loads(result.stdout)
