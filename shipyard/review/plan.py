"""Rendering an offline plan: a tree of components and resources with their key settings."""

from __future__ import annotations

import json
import re
from typing import Any

from shipyard.config import StackConfig
from shipyard.platforms import resource_facts
from shipyard.review.engine import Plan, Resource
from shipyard.review.inputs import lookup, masked
from shipyard.review.mocks import BUILD_DIGEST, PLACEHOLDERS, resource_id_pattern


def settings_of(resource: Resource) -> dict[str, Any]:
    """The inputs worth showing beside a resource (its facts row's key settings); the others
    are in `--json`."""
    row = resource_facts().get(resource.type)
    shown = {}
    for key in row.key_settings if row else ():
        value = lookup(resource.inputs, key)
        if value is not None:
            shown[key.split(".")[-1]] = masked(value)
    return shown


def _lifecycle_options(resource: Resource) -> dict[str, Any]:
    """The resource options besides `protect` that decide updates and deletes, and where its
    inputs come from (a replaced source changes them), when set."""
    options = {"deleteBeforeReplace": resource.delete_before_replace,
               "retainOnDelete": resource.retain_on_delete,
               "ignoreChanges": list(resource.ignore_changes),
               "inputsFrom": {key: list(urns) for key, urns in resource.input_sources.items()},
               "customTimeouts": dict(resource.custom_timeouts)}
    return {key: value for key, value in options.items() if value}


def to_json(plan: Plan) -> str:
    document = {
        "stack": plan.stack,
        "region": plan.region,
        "resourceCount": len(plan.resources),
        "resources": [{"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent,
                       "protect": r.protect, **_lifecycle_options(r), "inputs": masked(r.inputs)}
                      for r in plan.resources],
        "outputs": masked(plan.outputs),
    }
    return json.dumps(document, indent=2, sort_keys=True)


def to_text(plan: Plan) -> str:
    by_parent: dict[str | None, list[Resource]] = {}
    for resource in plan.resources:
        by_parent.setdefault(resource.parent, []).append(resource)
    lines = [f"Stack {plan.stack}: pulumi up would create"]

    def walk(parent: str | None, indent: str) -> None:
        # Components first, then resources; each group by type and name.
        for resource in sorted(by_parent.get(parent, []),
                               key=lambda r: (r.custom, r.type, r.name)):
            shown = settings_of(resource)
            details = " ".join(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in shown.items())
            flags = " [protected]" if resource.protect else ""
            lines.append(f"{indent}+ {resource.type} {resource.name}{flags}"
                         + (f"  {details}" if details else ""))
            walk(resource.urn, indent + "    ")

    walk(None, "  ")
    components = sum(1 for r in plan.resources if not r.custom)
    lines.append(f"{len(plan.resources)} resources ({components} components, "
                 f"{len(plan.resources) - components} cloud resources)")
    lines.append("Outputs:")
    for name, value in plan.outputs.items():
        lines.append(f"  {name}: {json.dumps(masked(value), sort_keys=True)}")
    return "\n".join(lines)


def placeholders(plan: Plan, shown: int = 3) -> list[tuple[str, str]]:
    """(what, examples) for each kind of value in the plan that the offline mocks made up.
    A pattern with a group (an id's prefix) lists every prefix it matched; the others, the
    first `shown` values."""
    text = json.dumps([masked(r.inputs) for r in plan.resources] + [masked(plan.outputs)],
                      sort_keys=True)
    kinds = [(what, re.compile(pattern), text) for what, pattern in
             (PLACEHOLDERS[0], ("resource ids", resource_id_pattern()), *PLACEHOLDERS[1:])]
    kinds.append(("digests of built images", re.compile(BUILD_DIGEST),
                  json.dumps(plan.outputs.get("builtImages"))))
    found = []
    for what, pattern, searched in kinds:
        values = sorted(set(pattern.findall(searched)))
        if pattern.groups:
            found.append((what, ", ".join(f"{v}..." for v in values)))
        elif values:
            found.append((what, ", ".join(values[:shown]) + (", ..." if len(values) > shown else "")))
    return [(what, examples) for what, examples in found if examples]


def notes(plan: Plan, config: StackConfig) -> str:
    """What the plan does not say by itself: each enabled platform's notes (ECS: tasks sized up
    from their spec), and which values are stand-ins."""
    lines = [line for name in config.enabled_platforms()
             for line in getattr(config, name).plan_notes(config)]
    made_up = placeholders(plan)
    if made_up:
        lines.append("Placeholders (made up offline by the mocks; `pulumi up` gets the real "
                     "values from AWS):")
        lines += [f"  {what}: {examples}" for what, examples in made_up]
    return "\n".join(lines)
