"""The shared ALB's listener rules: a priority per route that never moves, most specific first.

ALB evaluates rules from the lowest priority number up, and two rules of a listener may not share
a number (CreateRule/SetRulePriorities answer `PriorityInUse`). A priority therefore comes from
the route itself, never from its position among the others, so adding, removing or reordering
services changes no other rule:

- the range 1..50000 (elbv2 `RulePriority`, min 1 max 50000 in botocore's model) is cut into
  bands ordered by specificity: exact host, then wildcard host, then any host; within each,
  longer literal path prefixes before shorter ones (prefixes of 31+ characters share a band);
- within its band a route takes a slot from a stable hash of its host and path (the host is
  the service's `domain`, or its `host`).

Two routes whose hashes meet in one band are a config error naming the key (set `priority` on
one of them); so is an explicit `priority` out of range or already taken.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:  # the config rules import this module
    from shipyard.config.schema import Service

# TLS 1.3 with TLS 1.2 fallback: AWS's recommended policy for new HTTPS (ALB) and TLS (NLB)
# listeners.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
MIN_PRIORITY, MAX_PRIORITY = 1, 50000
PATH_LEVELS = 32                       # literal path prefixes of 0..31+ characters
HOST_LEVELS = 3                        # exact host, wildcard host, no host
BAND_WIDTH = MAX_PRIORITY // (HOST_LEVELS * PATH_LEVELS)  # 520 slots per band


def _literal_prefix(pattern: str) -> str:
    for index, char in enumerate(pattern):
        if char in "*?":
            return pattern[:index]
    return pattern


def band(host: Optional[str], path: str) -> int:
    """0 for the most specific routes; higher bands are evaluated later."""
    host_level = 2 if host is None else (1 if "*" in host or "?" in host else 0)
    path_level = min(len(_literal_prefix(path)), PATH_LEVELS - 1)
    return host_level * PATH_LEVELS + (PATH_LEVELS - 1 - path_level)


def derived_priority(host: Optional[str], path: str) -> int:
    digest = hashlib.sha256(f"{host or ''}\n{path}".encode()).digest()
    slot = int.from_bytes(digest[:8], "big") % BAND_WIDTH
    return band(host, path) * BAND_WIDTH + MIN_PRIORITY + slot


def route_host(service: Service) -> Optional[str]:
    """The host header a service's listener rule matches: its domain, or its `host`."""
    return service.domain or service.host


def in_zone(domain: str, zone: str) -> bool:
    return domain == zone or domain.endswith(f".{zone}")


def rule_priority(service: Service) -> int:
    """The service's explicit `priority`, or the one derived from its route."""
    if service.priority is not None:
        return service.priority
    return derived_priority(route_host(service), service.path)


def rule_priorities(services: list[Service]) -> dict[str, int]:
    return {s.name: rule_priority(s) for s in services}


def public_url(scheme: str, dns_name: str, service: Service) -> str:
    if service.domain:
        return f"https://{service.domain}"
    if service.host:
        return f"{scheme}://{service.host}"
    path = service.path.rstrip("*")
    return f"{scheme}://{dns_name}{path if path != '/' else '/'}"
