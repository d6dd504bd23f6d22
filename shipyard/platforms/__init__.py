"""The registry of compute platforms: everything that lists platforms reads it.

Order matters where it shows: it is the order of `runOn`'s values, of the config reference and
of the plan's sections.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from shipyard.platforms import ecs, eks, kubernetes, nomad, swarm
from shipyard.platforms.base import Platform

if TYPE_CHECKING:
    from shipyard.review.resource_facts import ResourceFacts

PLATFORMS: dict[str, Platform] = {p.name: p for p in (ecs.PLATFORM, eks.PLATFORM,
                                                        kubernetes.PLATFORM, swarm.PLATFORM,
                                                        nomad.PLATFORM)}
NAMES: tuple[str, ...] = tuple(PLATFORMS)


def with_capability(capability: str) -> tuple[str, ...]:
    """The names of the platforms that have `capability` (a boolean field of Platform)."""
    return tuple(name for name, p in PLATFORMS.items() if getattr(p, capability))


@functools.cache
def resource_facts() -> dict[str, ResourceFacts]:
    """Every resource type's facts row: the shared ones (shipyard/review/shared_facts.py), then each
    platform's own (its `facts` hook), collected once: lifecycle, plan, mocks, graph and
    aws_names read this one table. A type written in two places is an error."""
    from shipyard.review import shared_facts

    table = dict(shared_facts.FACTS)
    for name, platform in PLATFORMS.items():
        rows = platform.hook("facts").FACTS
        twice = sorted(set(rows) & set(table))
        if twice:
            raise ValueError(f"shipyard/platforms/{name}/facts.py repeats the rows of "
                             f"{', '.join(twice)}: a type has one row (shipyard/review/resource_facts.py)")
        table.update(rows)
    return table
