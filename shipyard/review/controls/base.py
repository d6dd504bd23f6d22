"""The shape every control shares: resources in, one finding per resource checked out.

A control sees resources as Pulumi records them — type token, logical name, URN, the camelCase
inputs, `protect` and the URNs the resource depends on — so the same function runs over an
offline plan (`python -m shipyard check`) and over a real preview (the CrossGuard pack in
`policy/`). Pure Python: no Pulumi import, no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence

from shipyard.review.inputs import lookup


@dataclass(frozen=True)
class Resource:
    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any]
    protect: bool = False
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """The verdict on one resource: `resource` is its logical name, `urn` identifies it."""

    urn: str
    resource: str
    passed: bool
    reason: str


Rule = Callable[[Sequence[Resource]], Iterator[Finding]]


@dataclass(frozen=True)
class Control:
    id: str          # Security Hub control id (e.g. `ECR.1`) or `PSS.restricted`
    title: str       # what a passing resource does
    rule: Rule = field(compare=False)

    @property
    def policy_name(self) -> str:
        """The name of its CrossGuard policy: `ecr-1`, `pss-restricted`."""
        return self.id.lower().replace(".", "-")

    def evaluate(self, resources: Sequence[Resource]) -> tuple[Finding, ...]:
        return tuple(self.rule(resources))


def passed(resource: Resource, reason: str) -> Finding:
    return Finding(resource.urn, resource.name, True, reason)


def failed(resource: Resource, reason: str) -> Finding:
    return Finding(resource.urn, resource.name, False, reason)


def verdict(resource: Resource, ok: bool, if_ok: str, if_not: str) -> Finding:
    return passed(resource, if_ok) if ok else failed(resource, if_not)


def of_type(resources: Iterable[Resource], *types: str) -> list[Resource]:
    return [r for r in resources if r.type in types]


def dependents(resources: Iterable[Resource], target: Resource, *types: str) -> list[Resource]:
    """Resources of these types that depend on `target` (e.g. the flow logs of a VPC)."""
    return [r for r in of_type(resources, *types) if target.urn in r.depends_on]


get = lookup  # `a.b.0.c` into an input; the controls' short name for it


def items(value: Any) -> list[Any]:
    """A list input that may be absent (None) or a single object (some providers flatten)."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


def is_true(value: Any) -> bool:
    """Booleans as AWS APIs carry them: True, or the strings "true" (launch template EBS)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def json_input(value: Any) -> Any:
    """Inputs that are JSON documents (task container definitions, policies)."""
    return json.loads(value) if isinstance(value, str) else value


def container_definitions(task: Resource) -> list[Mapping[str, Any]]:
    return list(json_input(task.inputs.get("containerDefinitions")) or [])


def first(values: Iterable[Any], default: Optional[Any] = None) -> Any:
    return next(iter(values), default)
