"""A Swarm in the architecture picture."""

from __future__ import annotations

from typing import Optional

from shipyard.review.engine import Resource
from shipyard.review.traffic import (
    INTERNET,
    Flow,
    Group,
    Node,
    Reader,
    get,
    service_label,
)

SWARM_TARGET = "shipyard:swarm:SwarmTarget"
SWARM_PROVIDER = "pulumi:providers:docker"
SWARM_SERVICE = "docker:index/service:Service"
SWARM_NETWORK = "docker:index/network:Network"


def _label_value(resource: Resource, label: str) -> Optional[str]:
    """A Docker label of a recorded pulumi-docker resource (a list of {label, value})."""
    return next((entry.get("value") for entry in resource.inputs.get("labels", [])
                 if entry.get("label") == label), None)


def picture(read: Reader, network: Optional[str]) -> tuple[list[Group], list[Node], list[Flow]]:
    """A Swarm's services, the ports they publish on its nodes (no load balancer in front),
    and the calls each callee's own overlay network carries."""
    groups, nodes, flows = [], [], []
    for target in read.of_type(SWARM_TARGET):
        hosts = [p.inputs.get("host") for p in read.under(SWARM_PROVIDER, target)]
        host = hosts[0] if hosts and hosts[0] else "(the deployer's Docker host)"
        groups.append(Group(target.urn, f"Docker Swarm {host}", "swarm"))
        services = read.under(SWARM_SERVICE, target)
        for service in services:
            published = get(service.inputs, "endpointSpec", "ports", default=[])
            nodes.append(Node(service.urn, service_label(
                service.inputs["name"], [int(_label_value(service, "shipyard.port") or 0)],
                get(service.inputs, "mode", "replicated", "replicas"), "tasks"),
                "service", target.urn))
            for entry in published:
                flows.append(Flow(INTERNET, service.urn, "ingress",
                                  f"TCP :{entry['publishedPort']} ({entry['publishMode']} mode)"))
        for network in read.under(SWARM_NETWORK, target):
            callee_name = _label_value(network, "shipyard.callee")
            members = [s for s in services if network.urn in s.depends_on]
            callee = next((s for s in members
                           if _label_value(s, "shipyard.service") == callee_name), None)
            for caller in members:
                if callee is not None and caller is not callee:
                    flows.append(Flow(caller.urn, callee.urn, "call", (
                        f"http://{callee_name}:{_label_value(callee, 'shipyard.port')}")))
    return groups, nodes, flows


