"""What `pulumi up` does to each resource type after its first create, read from its facts row.

Every type Shipyard registers has one row (`shipyard.review.resource_facts.ResourceFacts`; the rows and
their sources are in shipyard/review/shared_facts.py and shipyard/platforms/<name>/facts.py). Its
lifecycle members say which inputs force a replacement, which inputs make the resource unique
(so a replacement created before its predecessor is deleted would collide), what its delete
loses that others may rely on, and which updates have preconditions. `diff` marks replacements
from them, `check` and the tests hold every plan to its invariants (:func:`violations`), and a
type without a row fails `tests/test_lifecycle.py` and `tests/test_platforms.py`.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from shipyard.platforms import resource_facts
from shipyard.review.inputs import json_document, lookup, reveal
from shipyard.review.resource_facts import EVERY_INPUT, ResourceFacts

# The one table of resource-type facts (shipyard/review/resource_facts.py): shared rows and each
# platform's own, collected through the registry.
FACTS: dict[str, ResourceFacts] = resource_facts()


def facts(resource_type: str) -> Optional[ResourceFacts]:
    """The row of a custom resource type; None for Shipyard's own components (no cloud state)."""
    if resource_type.startswith("shipyard:"):
        return None
    return FACTS[resource_type]


def _matches(path: str, field_path: str) -> bool:
    return field_path == path or field_path.startswith((f"{path}.", f"{path}["))


def replacing_inputs(resource_type: str, changed_paths: Iterable[str]) -> set[str]:
    """The changed input paths (`.spec.selector.matchLabels.app`, `subnetIds[2]`, as
    `shipyard.review.diff` writes them) that force `resource_type` to be replaced, as their rows name
    them."""
    row = FACTS.get(resource_type)
    if row is None:
        return set()
    paths = [p.lstrip(".") for p in changed_paths]
    if EVERY_INPUT in row.replaced_by:
        return {p.split(".")[0].split("[")[0] for p in paths}
    return {forcing for forcing in row.replaced_by for p in paths if _matches(forcing, p)}


def _value(inputs: dict[str, Any], path: str) -> Any:
    """The input at `path`; a path into an input of JSON text (`jobspec.ID`) reads the document,
    as `diff` does."""
    head, _, rest = path.partition(".")
    value = json_document(reveal(inputs.get(head)))
    return reveal(lookup(value, rest)) if rest else value


def violations(resource: Any, production: bool) -> list[str]:
    """How a recorded resource (shipyard.review.engine.Resource) breaks its type's lifecycle rules:
    a replacement that would collide with its predecessor, stateful data a delete would lose,
    an update precondition that does not hold."""
    row = facts(resource.type)
    if row is None:
        return []
    found = []
    where = f"{resource.type} {resource.name}"
    inputs = resource.inputs
    # Only inputs the resource sets can change; one outside its identity replaces it in place.
    replaced_by_other = EVERY_INPUT in row.replaced_by or any(
        _value(inputs, forcing) is not None
        and not any(_matches(unique, forcing) for unique in row.unique_by)
        for forcing in row.replaced_by)
    fixed_identity = row.unique_by and all(_value(inputs, key) is not None for key in row.unique_by)
    if (fixed_identity and replaced_by_other and not row.holds
            and not (resource.delete_before_replace or row.provider_deletes_first)):
        found.append(f"{where}: its {', '.join(row.unique_by)} stay when it is replaced, so the "
                     "replacement would collide with it; set delete_before_replace")
    if row.retain and not resource.retain_on_delete:
        found.append(f"{where}: a delete would lose {row.holds}; set retain_on_delete")
    elif row.holds and production and not (
            resource.protect or resource.retain_on_delete
            or (row.protected_by and _value(inputs, row.protected_by) is True)):
        found.append(f"{where}: a production delete would lose {row.holds}; protect it")
    for changed, flag in row.update_requires:
        if _value(inputs, changed) is not None and _value(inputs, flag) is not True:
            found.append(f"{where}: updating {changed} requires {flag} = true")
    return found


def plan_violations(plan: Any, production: bool) -> list[str]:
    """:func:`violations` of every resource of a plan (shipyard.review.engine.Plan)."""
    return [problem for resource in plan.resources for problem in violations(resource, production)]


def _minor(version: Any) -> Optional[tuple[int, int]]:
    parts = str(version).split(".")
    return (int(parts[0]), int(parts[1])) if len(parts) >= 2 and all(
        p.isdigit() for p in parts[:2]) else None


def update_problems(resource_type: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Why AWS would refuse to update a resource from inputs `before` to `after` in place."""
    row = FACTS.get(resource_type)
    problems = []
    for key in row.one_minor_step if row else ():
        old, new = _minor(before.get(key)), _minor(after.get(key))
        if old and new and (new[0] != old[0] or new[1] - old[1] > 1):
            problems.append(f"{key} {before[key]} -> {after[key]}: upgrade one minor version per "
                            f"`pulumi up` ({old[0]}.{old[1] + 1} first)")
        elif old and new and new < old:
            problems.append(f"{key} {before[key]} -> {after[key]}: a downgrade is not possible")
    return problems
