"""Ordering the shared ALB's listener rules: the most specific route is evaluated first."""

from __future__ import annotations

from shipyard.config.schema import Service

PRIORITY_STEP = 10


def rule_priorities(services: list[Service]) -> dict[str, int]:
    """Host-specific rules before host-less ones, longer paths before shorter, then by name.

    Priorities are derived from the routes themselves, not from list order, so reordering
    services in the config changes nothing.
    """
    ordered = sorted(services, key=lambda s: (s.host is None, -len(s.path.rstrip("*")), s.name))
    return {s.name: PRIORITY_STEP * (index + 1) for index, s in enumerate(ordered)}


def public_url(scheme: str, dns_name: str, service: Service) -> str:
    if service.host:
        return f"{scheme}://{service.host}"
    path = service.path.rstrip("*")
    return f"{scheme}://{dns_name}{path if path != '/' else '/'}"
