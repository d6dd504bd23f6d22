"""The registry of compute platforms: everything that lists platforms reads it.

Order matters where it shows: it is the order of `runOn`'s values, of the config reference and
of the plan's sections.
"""

from __future__ import annotations

from shipyard.platforms import ecs, eks, kubernetes, nomad
from shipyard.platforms.base import Platform

PLATFORMS: dict[str, Platform] = {p.name: p for p in (ecs.PLATFORM, eks.PLATFORM,
                                                        kubernetes.PLATFORM, nomad.PLATFORM)}
NAMES: tuple[str, ...] = tuple(PLATFORMS)


def with_capability(capability: str) -> tuple[str, ...]:
    """The names of the platforms that have `capability` (a boolean field of Platform)."""
    return tuple(name for name, p in PLATFORMS.items() if getattr(p, capability))
