"""`python -m shipyard check <stack>`: the security controls and the lifecycle rules
(shipyard/review/lifecycle.py) over a stack's offline plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, NamedTuple, Optional

from shipyard.review import controls, engine, lifecycle
from shipyard.review.controls import Result
from shipyard.review.inputs import reveal

STATUS_LABELS = {"pass": "pass", "fail": "FAIL", "waived": "waived", "n/a": "n/a"}


def resources_of(plan: engine.Plan) -> list[controls.Resource]:
    return [controls.Resource(r.urn, r.type, r.name, reveal(r.inputs), r.protect, r.depends_on)
            for r in plan.resources]


def waivers_in(config: Mapping[str, Any]) -> dict[str, str]:
    """`shipyard:waivers` of a stack config (already validated by the program) as id -> reason."""
    return {w["control"]: w["reason"] for w in config.get("shipyard:waivers") or []}


def stack_waivers(stack: str, root: Path = engine.PROJECT_ROOT,
                  stack_file: Optional[Path] = None) -> dict[str, str]:
    return waivers_in(engine.stack_config(stack, root, stack_file))


class Review(NamedTuple):
    results: list[Result]
    lifecycle: list[str]   # how resources break their type's lifecycle rules (none, normally)


def run(stack: str, root: Path = engine.PROJECT_ROOT, stack_file: Optional[Path] = None) -> Review:
    """`stack_file`: read the stack's config (and waivers) from it instead of Pulumi.<stack>.yaml."""
    # engine.run validates the config first (ConfigError: exit 2)
    plan = engine.run(stack, root=root, stack_file=stack_file)
    production = bool(engine.stack_config(stack, root, stack_file).get("shipyard:production"))
    return Review(controls.evaluate(resources_of(plan),
                                    stack_waivers(stack, root, stack_file=stack_file)),
                  lifecycle.plan_violations(plan, production))


def _why(result: Result) -> str:
    failures = "; ".join(f"{f.resource}: {f.reason}" for f in result.failures)
    if result.status == "fail":
        return failures
    if result.status == "waived":
        return f"waived: {result.waiver} (fails: {failures})"
    if result.status == "n/a":
        return "no such resource in this stack"
    return result.control.title + (f" (waiver not needed: {result.waiver})" if result.waiver else "")


def render(stack: str, review: Review) -> str:
    results = review.results
    rows = [(r.control.id, str(len(r.findings)), STATUS_LABELS[r.status], _why(r)) for r in results]
    header = ("control", "resources", "result", "why")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    lines = [f"Security controls of {stack} (AWS Foundational Security Best Practices, "
             "Pod Security Standard restricted):"]
    for row in [header, *rows]:
        lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths))
                     + "  " + row[3])
    counts = {status: sum(1 for r in results if r.status == status) for status in STATUS_LABELS}
    lines.append(f"{len(results)} controls: " + ", ".join(
        f"{counts[s]} {label.lower()}" for s, label in STATUS_LABELS.items()))
    lines.append("Lifecycle (updates, replacements and deletes; shipyard/review/lifecycle.py): " + (
        f"{len(review.lifecycle)} problem(s)" if review.lifecycle else "every resource is safe"))
    lines += [f"  FAIL {problem}" for problem in review.lifecycle]
    return "\n".join(lines)


def to_json(stack: str, review: Review) -> str:
    results = review.results
    return json.dumps({"stack": stack, "failed": failed(review), "lifecycle": review.lifecycle,
                       "controls": [{
        "control": r.control.id, "title": r.control.title, "status": r.status,
        "resourcesChecked": len(r.findings), "waiver": r.waiver,
        "failures": [{"resource": f.resource, "urn": f.urn, "reason": f.reason} for f in r.failures],
    } for r in results]}, indent=2)


def failed(review: Review) -> bool:
    return bool(review.lifecycle) or any(r.status == "fail" for r in review.results)
