"""Who talks to whom, read from a recorded plan: entry points, load balancers, services per
platform, the networks they sit in, and the traffic between them.

Links follow the plan's URNs (a resource's `depends_on` holds every resource whose outputs its
inputs use) and values that are the same string at deploy time (target group and security group
ids), so the picture shows what `pulumi up` would build, not what the config meant to build.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from shipyard.platforms import PLATFORMS
from shipyard.review.engine import Plan, Resource

INTERNET = "internet"

EKS_CLUSTER = "eks:index:Cluster"
VPC = "aws:ec2/vpc:Vpc"
DNS_RECORD = "aws:route53/record:Record"



@dataclass(frozen=True)
class Group:
    """A box in the picture: a network (VPC) or a platform (ECS/EKS/existing cluster) inside one."""

    key: str
    label: str
    kind: str                      # "network" | a platform's name (its registry entry)
    parent: Optional[str] = None   # the network a platform runs in


@dataclass(frozen=True)
class Node:
    key: str
    label: str
    kind: str                      # "internet" | "alb" | "nlb" | "service"
    group: Optional[str] = None


@dataclass(frozen=True)
class Flow:
    source: str
    target: str
    kind: str                      # "ingress" (internet to LB) | "route" (LB to service) | "call"
    label: str


@dataclass(frozen=True)
class Architecture:
    groups: tuple[Group, ...]
    nodes: tuple[Node, ...]
    flows: tuple[Flow, ...]

    def node(self, key: str) -> Node:
        return next(n for n in self.nodes if n.key == key)


def get(mapping: Any, *path: str, default: Any = None) -> Any:
    for key in path:
        if not isinstance(mapping, dict) or key not in mapping:
            return default
        mapping = mapping[key]
    return mapping


class Reader:
    """Plan look-ups shared by the platforms' `traffic` hooks."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.by_urn = {r.urn: r for r in plan.resources}

    def of_type(self, type_: str) -> list[Resource]:
        return sorted(self.plan.of_type(type_), key=lambda r: r.urn)

    def dependencies(self, resource: Resource, type_: str) -> list[Resource]:
        return [self.by_urn[u] for u in resource.depends_on
                if u in self.by_urn and self.by_urn[u].type == type_]

    def ancestor(self, resource: Resource, type_: str) -> Optional[Resource]:
        while resource.parent in self.by_urn:
            resource = self.by_urn[resource.parent]
            if resource.type == type_:
                return resource
        return None

    def under(self, type_: str, ancestor: Resource) -> list[Resource]:
        """Resources of `type_` anywhere below the component `ancestor`."""
        return [r for r in self.of_type(type_)
                if getattr(self.ancestor(r, ancestor.type), "urn", None) == ancestor.urn]

    def hostnames(self, target: Resource) -> list[str]:
        """Names of the DNS alias records that point at `target` (a load balancer)."""
        return sorted(r.inputs["name"] for r in self.of_type(DNS_RECORD)
                      if r.inputs.get("aliases") and target.urn in r.depends_on)


def _network_groups(read: Reader) -> list[Group]:
    groups = []
    for vpc in read.of_type(VPC):
        groups.append(Group(vpc.urn, f"VPC {vpc.name}  {vpc.inputs.get('cidrBlock', '')}".strip(),
                            "network"))
    if not groups:  # an existing VPC: the stack only knows its id
        vpc_ids = sorted({r.inputs["vpcId"] for r in read.plan.resources
                          if r.type in (EKS_CLUSTER, "aws:lb/targetGroup:TargetGroup")
                          and r.inputs.get("vpcId")})
        groups = [Group(f"vpc:{v}", f"existing VPC {v}", "network") for v in vpc_ids]
    return groups


def service_label(name: str, ports: list[int], replicas: Optional[int], unit: str) -> str:
    details = [f":{p}" for p in sorted(set(ports))]
    if replicas is not None:
        details.append(f"{replicas} {unit if replicas != 1 else unit[:-1]}")
    return "\n".join([name, " · ".join(details)]) if details else name


def of_plan(plan: Plan) -> Architecture:
    """The networks, then what each platform's `traffic` hook draws, in registry order."""
    read = Reader(plan)
    groups = _network_groups(read)
    network = groups[0].key if groups else None
    nodes: list[Node] = []
    flows: list[Flow] = []
    for platform in PLATFORMS.values():
        own_groups, own_nodes, own_flows = platform.hook("traffic").picture(read, network)
        groups += own_groups
        nodes += own_nodes
        flows += own_flows
    if any(f.source == INTERNET for f in flows):
        nodes.insert(0, Node(INTERNET, "Internet", "internet"))
    return Architecture(tuple(groups), tuple(nodes), tuple(flows))
