"""Who talks to whom, read from a recorded plan: entry points, load balancers, services per
platform, the networks they sit in, and the traffic between them.

Links follow the plan's URNs (a resource's `depends_on` holds every resource whose outputs its
inputs use) and values that are the same string at deploy time (target group and security group
ids), so the picture shows what `pulumi up` would build, not what the config meant to build.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

from shipyard.engine import Plan, Resource
from shipyard.platforms.nomad.jobspec import callees_in

INTERNET = "internet"

ECS_SERVICE = "aws:ecs/service:Service"
ECS_CLUSTER = "aws:ecs/cluster:Cluster"
EKS_CLUSTER = "eks:index:Cluster"
VPC = "aws:ec2/vpc:Vpc"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DNS_RECORD = "aws:route53/record:Record"
K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment"
K8S_SERVICE = "kubernetes:core/v1:Service"
K8S_NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
K8S_TARGET = "shipyard:kubernetes:KubernetesTarget"
K8S_PROVIDER = "pulumi:providers:kubernetes"
APP_LABEL = "app.kubernetes.io/name"
SWARM_TARGET = "shipyard:swarm:SwarmTarget"
SWARM_PROVIDER = "pulumi:providers:docker"
SWARM_SERVICE = "docker:index/service:Service"
SWARM_NETWORK = "docker:index/network:Network"
NLB_SSL_CERT = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert"


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


def _get(mapping: Any, *path: str, default: Any = None) -> Any:
    for key in path:
        if not isinstance(mapping, dict) or key not in mapping:
            return default
        mapping = mapping[key]
    return mapping


class _Reader:
    """Plan look-ups shared by the extractors below."""

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


def _network_groups(read: _Reader) -> list[Group]:
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


def _alb_nodes(read: _Reader, network: Optional[str]) -> tuple[list[Node], list[Flow]]:
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
    hosts = [h for c in rule.inputs.get("conditions", []) for h in _get(c, "hostHeader", "values",
                                                                         default=[])]
    paths = [p for c in rule.inputs.get("conditions", []) for p in _get(c, "pathPattern", "values",
                                                                         default=[])]
    return f"{', '.join(hosts) or 'any host'} {', '.join(paths)}".strip()


def _ecs(read: _Reader, network: Optional[str]) -> tuple[list[Group], list[Node], list[Flow]]:
    groups, nodes, flows = [], [], []
    clusters = read.of_type(ECS_CLUSTER)
    services = read.of_type(ECS_SERVICE)
    by_security_group = {sg: s for s in services
                         for sg in _get(s.inputs, "networkConfiguration", "securityGroups",
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
            nodes.append(Node(service.urn, _service_label(
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
    return [alias["port"] for s in _get(service.inputs, "serviceConnectConfiguration", "services",
                                        default=[]) for alias in s.get("clientAlias", [])]


def _call_label(callee: Resource, port: Optional[int]) -> str:
    """How the caller addresses the callee: its Service Connect alias, else its port."""
    for entry in _get(callee.inputs, "serviceConnectConfiguration", "services", default=[]):
        for alias in entry.get("clientAlias", []):
            return f"http://{alias['dnsName']}:{alias['port']}"
    return f"port {port}"


def _service_label(name: str, ports: list[int], replicas: Optional[int], unit: str) -> str:
    details = [f":{p}" for p in sorted(set(ports))]
    if replicas is not None:
        details.append(f"{replicas} {unit if replicas != 1 else unit[:-1]}")
    return "\n".join([name, " · ".join(details)]) if details else name


def _kubernetes(read: _Reader, network: Optional[str]
                ) -> tuple[list[Group], list[Node], list[Flow]]:
    groups, nodes, flows = [], [], []
    for target in read.of_type(K8S_TARGET):
        # The target's provider waits for the EKS cluster it deploys to; an existing one, none.
        eks = [c for p in read.under(K8S_PROVIDER, target)
               for c in read.dependencies(p, EKS_CLUSTER)]
        if eks:
            groups.append(Group(target.urn, f"EKS cluster {eks[0].inputs.get('name', eks[0].name)}"
                                f"  (Kubernetes {eks[0].inputs.get('version')})", "eks", network))
        else:
            groups.append(Group(target.urn, "existing Kubernetes cluster (kubeconfig)",
                                "kubernetes"))
        pods: dict[str, tuple[str, list[int]]] = {}  # app label -> (node key, container ports)
        for deployment in read.under(K8S_DEPLOYMENT, target):
            spec = deployment.inputs["spec"]
            ports = [p["containerPort"] for c in _get(spec, "template", "spec", "containers",
                                                      default=[]) for p in c.get("ports", [])]
            pods[_get(spec, "selector", "matchLabels", APP_LABEL)] = (deployment.urn, ports)
            nodes.append(Node(deployment.urn, _service_label(
                deployment.inputs["metadata"]["name"], ports, spec.get("replicas"), "pods"),
                "service", target.urn))
        services = read.under(K8S_SERVICE, target)
        for service in services:
            app = _get(service.inputs, "spec", "selector", APP_LABEL)
            if app in pods and _get(service.inputs, "spec", "type") == "LoadBalancer":
                # An EKS cluster's load balancers live in the VPC; an existing cluster's in its
                # own network.
                node, *routes = _load_balancer_service(read, service, pods[app],
                                                       network if eks else target.urn, bool(eks))
                nodes.append(node)
                flows += routes
        service_port = {_get(s.inputs, "spec", "selector", APP_LABEL):
                        _get(s.inputs, "spec", "ports", default=[{}])[0].get("port")
                        for s in services}
        for policy in read.under(K8S_NETWORK_POLICY, target):  # a callee admitting its callers
            callee = _get(policy.inputs, "spec", "podSelector", "matchLabels", APP_LABEL)
            for rule in _get(policy.inputs, "spec", "ingress", default=[]):
                for peer in rule.get("from", []):
                    caller = _get(peer, "podSelector", "matchLabels", APP_LABEL)
                    if caller in pods and callee in pods:
                        flows.append(Flow(pods[caller][0], pods[callee][0], "call",
                                          f"http://{callee}:{service_port.get(callee)}"))
    return groups, nodes, flows


def _load_balancer_service(read: _Reader, service: Resource, pods: tuple[str, list[int]],
                           group: Optional[str], on_eks: bool) -> tuple[Node, Flow, Flow]:
    """A Kubernetes Service of type LoadBalancer: the load balancer its cloud creates for it."""
    annotations = _get(service.inputs, "metadata", "annotations", default={}) or {}
    kind = "Network Load Balancer" if on_eks else "cloud load balancer"
    app = _get(service.inputs, "spec", "selector", APP_LABEL)
    node = Node(service.urn, "\n".join([kind, f"Service {app}", *read.hostnames(service)]), "nlb",
                group)
    listeners = [f"{'TLS' if NLB_SSL_CERT in annotations else 'TCP'} :{p['port']}"
                 for p in _get(service.inputs, "spec", "ports", default=[])]
    return (node, Flow(INTERNET, service.urn, "ingress", "\n".join(listeners)),
            Flow(service.urn, pods[0], "route", " ".join(f":{p}" for p in pods[1])))


def _label_value(resource: Resource, label: str) -> Optional[str]:
    """A Docker label of a recorded pulumi-docker resource (a list of {label, value})."""
    return next((entry.get("value") for entry in resource.inputs.get("labels", [])
                 if entry.get("label") == label), None)


def _swarm(read: _Reader) -> tuple[list[Group], list[Node], list[Flow]]:
    """A Swarm's services, the ports they publish on its nodes (no load balancer in front),
    and the calls each callee's own overlay network carries."""
    groups, nodes, flows = [], [], []
    for target in read.of_type(SWARM_TARGET):
        hosts = [p.inputs.get("host") for p in read.under(SWARM_PROVIDER, target)]
        host = hosts[0] if hosts and hosts[0] else "(the deployer's Docker host)"
        groups.append(Group(target.urn, f"Docker Swarm {host}", "swarm"))
        services = read.under(SWARM_SERVICE, target)
        for service in services:
            published = _get(service.inputs, "endpointSpec", "ports", default=[])
            nodes.append(Node(service.urn, _service_label(
                service.inputs["name"], [int(_label_value(service, "shipyard.port") or 0)],
                _get(service.inputs, "mode", "replicated", "replicas"), "tasks"),
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


# --- nomad
NOMAD_TARGET = "shipyard:nomad:NomadTarget"
NOMAD_JOB = "nomad:index/job:Job"
NOMAD_PROVIDER = "pulumi:providers:nomad"


def _nomad(read: _Reader) -> tuple[list[Group], list[Node], list[Flow]]:
    """Each Nomad cluster, its jobs, public static ports and calls through the catalog."""
    groups, nodes, flows = [], [], []
    for target in read.of_type(NOMAD_TARGET):
        [provider] = read.under(NOMAD_PROVIDER, target) or [None]
        address = _get(provider.inputs if provider else {}, "address") or "NOMAD_ADDR"
        jobs = {}
        for job in read.under(NOMAD_JOB, target):
            spec = json.loads(job.inputs["jobspec"])
            jobs[spec["ID"]] = (job, spec)
        namespace = next((spec["Namespace"] for _, spec in jobs.values()), "default")
        groups.append(Group(target.urn, f"existing Nomad cluster {address}  (namespace "
                                        f"{namespace})", "nomad"))
        for job, spec in jobs.values():
            for group in spec["TaskGroups"]:
                networks = group.get("Networks") or [{}]
                static = [p["Value"] for n in networks for p in n.get("ReservedPorts") or []]
                ports = [p["To"] for n in networks for key in ("ReservedPorts", "DynamicPorts")
                         for p in n.get(key) or []]
                nodes.append(Node(job.urn, _service_label(spec["ID"], ports, group.get("Count"),
                                                          "allocations"), "service", target.urn))
                if static:
                    flows.append(Flow(INTERNET, job.urn, "ingress", " ".join(
                        f"static port :{port} on each client" for port in static)))
            for callee in callees_in(spec):
                if callee in jobs:
                    flows.append(Flow(job.urn, jobs[callee][0].urn, "call",
                                      "http://<address>:<port> from the catalog"))
    return groups, nodes, flows


def of_plan(plan: Plan) -> Architecture:
    read = _Reader(plan)
    networks = _network_groups(read)
    network = networks[0].key if networks else None
    alb_nodes, alb_flows = _alb_nodes(read, network)
    ecs_groups, ecs_nodes, ecs_flows = _ecs(read, network)
    k8s_groups, k8s_nodes, k8s_flows = _kubernetes(read, network)
    swarm_groups, swarm_nodes, swarm_flows = _swarm(read)
    nomad_groups, nomad_nodes, nomad_flows = _nomad(read)
    nodes = [*alb_nodes, *ecs_nodes, *k8s_nodes, *swarm_nodes, *nomad_nodes]
    flows = [*alb_flows, *ecs_flows, *k8s_flows, *swarm_flows, *nomad_flows]
    if any(f.source == INTERNET for f in flows):
        nodes.insert(0, Node(INTERNET, "Internet", "internet"))
    return Architecture(tuple(networks + ecs_groups + k8s_groups + swarm_groups + nomad_groups),
                        tuple(nodes),
                        tuple(flows))
