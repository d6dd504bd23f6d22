"""The ECS platform in the architecture picture: the shared Application Load Balancer and its
routes, each cluster (with the capacity its tasks run on), its services and who calls whom
(one service's security group admitting another's)."""

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

ECS_SERVICE = "aws:ecs/service:Service"
ECS_CLUSTER = "aws:ecs/cluster:Cluster"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def picture(read: Reader, network: Optional[str]) -> tuple[list[Group], list[Node], list[Flow]]:
    alb_nodes, alb_flows = _alb_nodes(read, network)
    groups, nodes, flows = _ecs(read, network)
    return groups, [*alb_nodes, *nodes], [*alb_flows, *flows]


def _alb_nodes(read: Reader, network: Optional[str]) -> tuple[list[Node], list[Flow]]:
    nodes, flows = [], []
    for alb in read.of_type(LOAD_BALANCER):
        if alb.inputs.get("loadBalancerType", "application") != "application":
            continue
        lines = ["Application Load Balancer", alb.name]
        if any(alb.urn in a.depends_on for a in read.of_type(WAF_ASSOCIATION)):
            lines.append("WAF web ACL")
        lines += read.hostnames(alb)
        nodes.append(Node(alb.urn, "\n".join(lines), "alb", network))
        listeners = [l for l in read.of_type(LISTENER) if alb.urn in l.depends_on]
        flows.append(Flow(INTERNET, alb.urn, "ingress", "\n".join(
            _listener_label(l) for l in sorted(listeners, key=lambda l: -l.inputs["port"]))))
    return nodes, flows


def _listener_label(listener: Resource) -> str:
    inputs = listener.inputs
    label = f"{inputs['protocol']} :{inputs['port']}"
    redirect = [a["redirect"] for a in inputs.get("defaultActions", []) if a.get("redirect")]
    if redirect:
        label += f" → {redirect[0].get('protocol', '')} :{redirect[0].get('port', '')}"
    return label


def _rule_label(rule: Resource) -> str:
    hosts = [h for c in rule.inputs.get("conditions", []) for h in get(c, "hostHeader", "values",
                                                                         default=[])]
    paths = [p for c in rule.inputs.get("conditions", []) for p in get(c, "pathPattern", "values",
                                                                         default=[])]
    return f"{', '.join(hosts) or 'any host'} {', '.join(paths)}".strip()


def _ecs(read: Reader, network: Optional[str]) -> tuple[list[Group], list[Node], list[Flow]]:
    groups, nodes, flows = [], [], []
    clusters = read.of_type(ECS_CLUSTER)
    services = read.of_type(ECS_SERVICE)
    by_security_group = {sg: s for s in services
                         for sg in get(s.inputs, "networkConfiguration", "securityGroups",
                                        default=[])}
    for cluster in clusters:
        on_cluster = [s for s in services if cluster.urn in s.depends_on]
        # What the tasks run on: the providers a strategy places tasks with (a base or a weight).
        used = {c["capacityProvider"] for s in on_cluster
                for c in s.inputs.get("capacityProviderStrategies", [])
                if c.get("base") or c.get("weight")}
        capacity = " + ".join(sorted({ECS_CAPACITY_NAMES.get(c, "EC2") for c in used}))
        groups.append(Group(cluster.urn, f"ECS cluster {cluster.inputs.get('name', cluster.name)}"
                            + (f"  ({capacity})" if capacity else ""), "ecs", network))
        for service in on_cluster:
            ports = [lb["containerPort"] for lb in service.inputs.get("loadBalancers", [])]
            nodes.append(Node(service.urn, service_label(
                service.inputs["name"], ports or _connect_ports(service),
                service.inputs.get("desiredCount"), "tasks"), "service", cluster.urn))
            for rule in read.dependencies(service, LISTENER_RULE):
                for listener in read.dependencies(rule, LISTENER):
                    for alb in read.dependencies(listener, LOAD_BALANCER):
                        flows.append(Flow(alb.urn, service.urn, "route", "\n".join(
                            [_rule_label(rule), *(f"→ :{p}" for p in ports)])))
    for rule in read.of_type(INGRESS_RULE):  # one service's security group admitting another's
        callee = by_security_group.get(rule.inputs.get("securityGroupId"))
        caller = by_security_group.get(rule.inputs.get("referencedSecurityGroupId"))
        if callee and caller:
            flows.append(Flow(caller.urn, callee.urn, "call",
                              _call_label(callee, rule.inputs.get("fromPort"))))
    return groups, nodes, flows


ECS_CAPACITY_NAMES = {"FARGATE": "Fargate", "FARGATE_SPOT": "Fargate Spot"}  # else EC2's own


def _connect_ports(service: Resource) -> list[int]:
    return [alias["port"] for s in get(service.inputs, "serviceConnectConfiguration", "services",
                                        default=[]) for alias in s.get("clientAlias", [])]


def _call_label(callee: Resource, port: Optional[int]) -> str:
    """How the caller addresses the callee: its Service Connect alias, else its port."""
    for entry in get(callee.inputs, "serviceConnectConfiguration", "services", default=[]):
        for alias in entry.get("clientAlias", []):
            return f"http://{alias['dnsName']}:{alias['port']}"
    return f"port {port}"


