"""Ordering the shared ALB's listener rules: the most specific route is evaluated first."""

from __future__ import annotations

from typing import Optional

from shipyard.config.schema import Service

PRIORITY_STEP = 10
# TLS 1.3 with TLS 1.2 fallback: AWS's recommended policy for new HTTPS (ALB) and TLS (NLB)
# listeners.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def route_host(service: Service) -> Optional[str]:
    """The host header a service's listener rule matches: its domain, or its `host`."""
    return service.domain or service.host


def in_zone(domain: str, zone: str) -> bool:
    return domain == zone or domain.endswith(f".{zone}")


def rule_priorities(services: list[Service]) -> dict[str, int]:
    """Host-specific rules before host-less ones, longer paths before shorter, then by name.

    Priorities are derived from the routes themselves, not from list order, so reordering
    services in the config changes nothing.
    """
    ordered = sorted(services, key=lambda s: (route_host(s) is None, -len(s.path.rstrip("*")),
                                              s.name))
    return {s.name: PRIORITY_STEP * (index + 1) for index, s in enumerate(ordered)}


def public_url(scheme: str, dns_name: str, service: Service) -> str:
    if service.domain:
        return f"https://{service.domain}"
    if service.host:
        return f"{scheme}://{service.host}"
    path = service.path.rstrip("*")
    return f"{scheme}://{dns_name}{path if path != '/' else '/'}"
