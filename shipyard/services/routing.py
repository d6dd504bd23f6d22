"""The shared ALB's listener rules: a priority per route that never moves, most specific first.

ALB evaluates rules from the lowest priority number up, and two rules of a listener may not share
a number (CreateRule/SetRulePriorities answer `PriorityInUse`). A priority therefore comes from
the route itself, never from its position among the others, so adding, removing or reordering
services changes no other rule:

- the range 1..50000 (elbv2 `RulePriority`, min 1 max 50000 in botocore's model) is cut into
  bands ordered by specificity: exact host, then wildcard host, then any host; within each,
  longer literal path prefixes before shorter ones (prefixes of 31+ characters share a band),
  and for one prefix length a path without wildcards before one with (`/api` before `/api*`);
- within its band a route takes a slot from a stable hash of its host and path (the host is
  the service's `domain`, or its `host`).

Two routes whose hashes meet (one chance in 260 for two routes of one band) share no number:
the later in the config takes the band's next free slot, so only it could move, and only if the
earlier one goes — then ELB may refuse the move while the old rule still holds the number
(`PriorityInUse`): pin `priority` on it for good before removing the earlier service. Pinning a
number another route derives is a config error naming the key. Two wildcard paths of one band
with the same literal prefix (`/a*/b`, `/a*`) are ordered by hash: pin `priority` where that
matters.

Without a configured certificate, a custom domain puts its service on the HTTPS listener and
leaves the other services on HTTP; the HTTP listener then redirects to HTTPS only the requests
for a domain's host, by one rule per domain in the last exact-host band (host, any path), which
no service route derives (every path starts with '/'), so it comes before every wildcard-host
and any-host route and never takes a number a service route has.
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
WILDCARD_LEVELS = 2                    # a path without wildcards, then one with
BAND_WIDTH = MAX_PRIORITY // (HOST_LEVELS * PATH_LEVELS * WILDCARD_LEVELS)  # 260 per band


def _literal_prefix(pattern: str) -> str:
    for index, char in enumerate(pattern):
        if char in "*?":
            return pattern[:index]
    return pattern


def band(host: Optional[str], path: str) -> int:
    """0 for the most specific routes; higher bands are evaluated later."""
    host_level = 2 if host is None else (1 if "*" in host or "?" in host else 0)
    literal = _literal_prefix(path)
    path_level = min(len(literal), PATH_LEVELS - 1)
    wildcard = int(literal != path)
    return ((host_level * PATH_LEVELS + (PATH_LEVELS - 1 - path_level)) * WILDCARD_LEVELS
            + wildcard)


def derived_priority(host: Optional[str], path: str) -> int:
    digest = hashlib.sha256(f"{host or ''}\n{path}".encode()).digest()
    slot = int.from_bytes(digest[:8], "big") % BAND_WIDTH
    return band(host, path) * BAND_WIDTH + MIN_PRIORITY + slot


def route_host(service: Service) -> Optional[str]:
    """The host header a service's listener rule matches: its domain, or its `host`."""
    return service.domain or service.host


def in_zone(domain: str, zone: str) -> bool:
    return domain == zone or domain.endswith(f".{zone}")


def _free_slot(priority: int, taken: set[int]) -> int:
    """`priority`, or the next number of its band that `taken` doesn't hold (wrapping round)."""
    start = priority - (priority - MIN_PRIORITY) % BAND_WIDTH
    while priority in taken:
        priority = start + (priority - start + 1) % BAND_WIDTH
    taken.add(priority)
    return priority


def served_over_https(service: Service, certificate_configured: bool) -> bool:
    """A configured certificate serves every public service on HTTPS; without one, only the
    services with a custom domain (whose certificate the listener holds) are."""
    return certificate_configured or service.domain is not None


def rule_priorities(services: list[Service]) -> dict[str, int]:
    """Each service's listener rule priority: its explicit `priority`, or the one derived from
    its route. Two derived numbers that meet (one chance in 260 for two routes of a band) are
    told apart by moving the later one, in config order, to the band's next free slot: a
    service added at the end never moves another, and only the later of two colliding services
    can ever move (when the earlier goes). Pinned numbers never meet a derived one (a config
    error)."""
    taken = {s.priority for s in services if s.priority is not None}
    priorities = {}
    for service in services:
        if service.priority is not None:
            priorities[service.name] = service.priority
            continue
        priorities[service.name] = _free_slot(
            derived_priority(route_host(service), service.path), taken)
    return priorities


REDIRECT_PATH = "*"  # a domain's HTTP redirect matches its host and any path


def redirect_priorities(services: list[Service]) -> dict[str, int]:
    """Domain -> priority of the HTTP listener rule that redirects its requests to HTTPS: in
    the last exact-host band, where no service route lands, and never a number a service rule
    holds (on a domain being added, the service's old rule is still on the HTTP listener while
    the redirect is created)."""
    taken = set(rule_priorities(services).values())
    return {s.domain: _free_slot(derived_priority(s.domain, REDIRECT_PATH), taken)
            for s in services if s.domain is not None}


def public_url(scheme: str, dns_name: str, service: Service) -> str:
    """`scheme` is the one the service is served with (`served_over_https`)."""
    if service.domain:
        return f"https://{service.domain}"
    if service.host:
        return f"{scheme}://{service.host}"
    path = service.path.rstrip("*")
    return f"{scheme}://{dns_name}{path if path != '/' else '/'}"
