"""Application Load Balancer controls (Security Hub ELB.1, ELB.4-6, ELB.12-13)."""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

from shipyard.review.controls.base import (
    Control,
    Finding,
    Resource,
    get,
    is_true,
    items,
    of_type,
    verdict,
)

LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
DESYNC_MODES = ("defensive", "strictest")


def _albs(resources: Sequence[Resource]) -> list[Resource]:
    return [b for b in of_type(resources, *LOAD_BALANCERS)
            if b.inputs.get("loadBalancerType", "application") == "application"]


def _alb_rule(ok: Callable[[Resource], bool], if_ok: str, if_not: Callable[[Resource], str]
              ) -> Callable[[Sequence[Resource]], Iterator[Finding]]:
    def rule(resources: Sequence[Resource]) -> Iterator[Finding]:
        for balancer in _albs(resources):
            good = ok(balancer)
            yield verdict(balancer, good, if_ok, "" if good else if_not(balancer))
    return rule


def http_redirects(resources: Sequence[Resource]) -> Iterator[Finding]:
    for listener in of_type(resources, *LISTENERS):
        if listener.inputs.get("protocol") != "HTTP":
            continue
        actions = items(listener.inputs.get("defaultActions"))
        redirects = bool(actions) and all(
            a.get("type") == "redirect" and get(a, "redirect.protocol") == "HTTPS" for a in actions)
        yield verdict(listener, redirects, "HTTP redirects to HTTPS",
                      "an HTTP listener serves requests instead of redirecting them all to HTTPS "
                      "(public services without a domain stay on HTTP unless "
                      "shipyard:ecs.loadBalancer.certificateArn covers them)")


def _access_logs(balancer: Resource) -> bool:
    logs = balancer.inputs.get("accessLogs") or {}
    return is_true(logs.get("enabled")) and bool(logs.get("bucket"))


def _zones(balancer: Resource) -> int:
    return len(items(balancer.inputs.get("subnets")) or items(balancer.inputs.get("subnetMappings")))


CONTROLS = (
    Control("ELB.1", "ALB HTTP listeners redirect to HTTPS", http_redirects),
    Control("ELB.4", "ALBs drop invalid HTTP headers", _alb_rule(
        lambda b: b.inputs.get("dropInvalidHeaderFields") is True, "drops invalid headers",
        lambda b: "dropInvalidHeaderFields is off")),
    Control("ELB.5", "ALBs write access logs", _alb_rule(
        _access_logs, "access logs on", lambda b: "access logs are off")),
    Control("ELB.6", "ALBs have deletion protection", _alb_rule(
        lambda b: b.inputs.get("enableDeletionProtection") is True, "deletion protection on",
        lambda b: "deletion protection is off")),
    Control("ELB.12", "ALBs mitigate HTTP desync (defensive or strictest)", _alb_rule(
        lambda b: b.inputs.get("desyncMitigationMode", "defensive") in DESYNC_MODES,
        "desync mitigation defensive or strictest",
        lambda b: f"desync mitigation is {b.inputs.get('desyncMitigationMode')}")),
    Control("ELB.13", "ALBs span at least two availability zones", _alb_rule(
        lambda b: _zones(b) >= 2, "subnets in 2+ zones",
        lambda b: f"only {_zones(b)} subnet(s)")),
)
