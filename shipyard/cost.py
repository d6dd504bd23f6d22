"""Estimated monthly cost of a plan, line by line, from the price table in `prices.yaml`.

Only what the plan itself creates and runs around the clock is priced, at the replica and node
counts it starts with (autoscaling may add more). Usage-based charges are listed as not
included. Amounts are Decimals rounded to the cent per line; the total is the sum of the lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import yaml

from shipyard.config import StackConfig
from shipyard.ecs_task import resized_tasks
from shipyard.eks_versions import EKS_SUPPORT_WINDOWS
from shipyard.engine import Plan, Resource
from shipyard.fargate import right_size
from shipyard.platforms import PLATFORMS

PRICES_FILE = Path(__file__).with_name("prices.yaml")
CENT = Decimal("0.01")
# EKS on Fargate bills each pod for its requests plus 256 MiB for the Kubernetes components.
EKS_FARGATE_OVERHEAD_MIB = 256
COREDNS_PODS = 2
COREDNS_VCPU, COREDNS_MIB = 0.1, 70
# metrics-server's chart defaults: one replica requesting 100m CPU and 200Mi memory.
METRICS_SERVER_PODS = 1
METRICS_SERVER_VCPU, METRICS_SERVER_MIB = 0.1, 200
# Pods Shipyard runs on Fargate itself when a cluster has no nodes: (profile, replicas, vCPU, MiB).
SYSTEM_FARGATE_PODS = (("shipyard-coredns", "CoreDNS", COREDNS_PODS, COREDNS_VCPU, COREDNS_MIB),
                       ("shipyard-kube-system", "metrics-server", METRICS_SERVER_PODS,
                        METRICS_SERVER_VCPU, METRICS_SERVER_MIB))
# Builds cost no AWS resource of their own: they run where `pulumi up` runs.
IMAGE_BUILDS_NOTE = ("image builds (they run on the machine that runs `pulumi up`; their "
                     "images and BuildKit cache count as ECR storage)")


def _has(*types: str) -> Callable[[Plan], bool]:
    return lambda plan: any(plan.of_type(t) for t in types)


def _kubernetes_load_balancers(plan: Plan) -> bool:
    return any(s.inputs["spec"]["type"] == "LoadBalancer" and _in_this_account(plan, s)
               for s in plan.of_type("kubernetes:core/v1:Service"))


# prices.yaml's not_included key -> whether a plan incurs that usage-based charge.
USAGE_CHARGES: dict[str, Callable[[Plan], bool]] = {
    "nat_gateway": _has("aws:ec2/natGateway:NatGateway"),
    "application_load_balancer": _has("aws:lb/loadBalancer:LoadBalancer"),
    "network_load_balancer": _kubernetes_load_balancers,
    "log_groups": _has("aws:cloudwatch/logGroup:LogGroup", "eks:index:Cluster"),
    "container_insights": lambda plan: any(
        {"name": "containerInsights", "value": "enabled"} in (c.inputs.get("settings") or [])
        for c in plan.of_type("aws:ecs/cluster:Cluster")),
    "ecr_storage": _has("aws:ecr/repository:Repository"),
    "data_transfer": lambda plan: any(r.custom and r.type.startswith(("aws:", "eks:"))
                                      for r in plan.resources),
    "certificate_validation": _has("aws:acm/certificateValidation:CertificateValidation"),
    "cloud_map": _has("aws:servicediscovery/httpNamespace:HttpNamespace"),
    "waf": _has("aws:wafv2/webAclAssociation:WebAclAssociation"),
    "access_logs": lambda plan: any((b.inputs.get("accessLogs") or {}).get("enabled")
                                    for b in plan.of_type("aws:lb/loadBalancer:LoadBalancer")),
}


@dataclass(frozen=True)
class Line:
    item: str
    quantity: str
    monthly: Optional[Decimal]      # None: not priced (unknown region or instance type)
    note: str = ""


@dataclass(frozen=True)
class Estimate:
    stack: str
    region: str
    priced_on: str
    lines: tuple[Line, ...]
    not_included: tuple[str, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.monthly for line in self.lines if line.monthly is not None), Decimal(0))

    @property
    def complete(self) -> bool:
        return all(line.monthly is not None for line in self.lines)


def load_prices() -> dict[str, Any]:
    return yaml.safe_load(PRICES_FILE.read_text())


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class _Pricer:
    def __init__(self, plan: Plan, table: dict[str, Any]):
        self.plan = plan
        self.hours = Decimal(table["hours_per_month"])
        self.prices = table["regions"].get(plan.region)
        self.priced_on = date.fromisoformat(table["date"])

    def price(self, *path: str) -> Optional[Decimal]:
        value: Any = self.prices
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return Decimal(value)

    def hourly(self, item: str, count: int, *path: str, note: str = "") -> Line:
        rate = self.price(*path)
        return Line(item, f"{count} x 730 h", None if rate is None else _money(rate * count * self.hours), note)

    def fargate(self, item: str, tasks: Decimal, vcpu: Decimal, gib: Decimal, arch: str,
                discount: Decimal = Decimal(0), note: str = "") -> Line:
        vcpu_rate, gb_rate = self.price("fargate", arch, "vcpu_hour"), self.price("fargate", arch, "gb_hour")
        quantity = f"{tasks:g} x ({vcpu:g} vCPU, {gib:g} GB) x 730 h"
        if vcpu_rate is None or gb_rate is None:
            return Line(item, quantity, None, note)
        per_task = (vcpu * vcpu_rate + gib * gb_rate) * self.hours
        return Line(item, quantity, _money(per_task * tasks * (1 - discount)), note)

    def ec2(self, item: str, count: int, instance_type: str, disk_gb: int) -> Iterator[Line]:
        rate = self.price("ec2_hour", instance_type)
        yield Line(f"{item}: {count} x {instance_type}", f"{count} x 730 h",
                   None if rate is None else _money(rate * count * self.hours),
                   "" if rate is not None else f"{instance_type} is not in the price table")
        gb = self.price("ebs_gp3_gb_month")
        yield Line(f"{item}: EBS gp3 root volumes", f"{count} x {disk_gb} GB",
                   None if gb is None else _money(gb * count * disk_gb))


def _task_sizes(plan: Plan) -> dict[str, Resource]:
    return {t.name: t for t in plan.of_type("aws:ecs/taskDefinition:TaskDefinition")}


def _kubernetes_target(plan: Plan, resource: Resource) -> Optional[str]:
    """The name of the KubernetesTarget component a Kubernetes object belongs to."""
    while resource.parent is not None:
        resource = plan.by_urn(resource.parent)
        if resource.type == "shipyard:kubernetes:KubernetesTarget":
            return resource.name
    return None


def _in_this_account(plan: Plan, resource: Resource) -> bool:
    """Whether a Kubernetes object is on a cluster in the stack's VPC (not one outside AWS)."""
    target = _kubernetes_target(plan, resource)  # named after its platform
    return target in PLATFORMS and PLATFORMS[target].in_vpc


def _lines(pricer: _Pricer) -> Iterator[Line]:
    plan = pricer.plan
    for cluster in plan.of_type("eks:index:Cluster"):
        standard_end = EKS_SUPPORT_WINDOWS.get(cluster.inputs["version"], (date.max,))[0]
        extended = pricer.priced_on > standard_end
        yield pricer.hourly(f"EKS control plane {cluster.inputs['name']}", 1,
                            "eks_extended_support_hour" if extended else "eks_control_plane_hour",
                            note="extended support" if extended else "")
    nats = plan.of_type("aws:ec2/natGateway:NatGateway")
    if nats:
        yield pricer.hourly("NAT gateways", len(nats), "nat_gateway_hour")
    addresses = len(plan.of_type("aws:ec2/eip:Eip"))
    if addresses:
        yield pricer.hourly("Public IPv4 addresses (NAT gateways)", addresses, "public_ipv4_hour")
    for balancer in plan.of_type("aws:lb/loadBalancer:LoadBalancer"):
        yield pricer.hourly(f"Application load balancer {balancer.name}", 1, "load_balancer_hour")
        if not balancer.inputs.get("internal"):
            zones = len(balancer.inputs["subnets"])
            yield pricer.hourly("Public IPv4 addresses (load balancer, one per AZ)", zones,
                                "public_ipv4_hour")
    public_zones = sum(1 for s in plan.of_type("aws:ec2/subnet:Subnet")
                       if "kubernetes.io/role/elb" in s.inputs.get("tags", {}))
    for service in plan.of_type("kubernetes:core/v1:Service"):
        if service.inputs["spec"]["type"] != "LoadBalancer":
            continue
        item = f"Load balancer for Kubernetes service {service.name}"
        if not _in_this_account(plan, service):
            yield Line(item, "1", None, "on a cluster outside this stack's AWS account: not priced")
            continue
        yield pricer.hourly(item, 1, "load_balancer_hour", note="created by Kubernetes, not Pulumi")
        if public_zones:
            yield pricer.hourly("Public IPv4 addresses (its load balancer, one per AZ)",
                                public_zones, "public_ipv4_hour")
    endpoints = [e for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                 if e.inputs["vpcEndpointType"] == "Interface"]
    if endpoints:
        az_hours = sum(len(e.inputs["subnetIds"]) for e in endpoints)
        yield pricer.hourly(f"Interface VPC endpoints ({len(endpoints)}, per AZ)", az_hours,
                            "interface_endpoint_az_hour")
    endpoint_tasks = sum(s.inputs["desiredCount"] for s in plan.of_type("aws:ecs/service:Service")
                          if s.inputs.get("serviceConnectConfiguration", {}).get("services"))
    if endpoint_tasks:
        rate = pricer.price("cloud_map_resource_month")
        yield Line("Cloud Map instances (Service Connect endpoint tasks)",
                   f"{endpoint_tasks} x 1 month",
                   None if rate is None else _money(rate * endpoint_tasks))
    keys = len(plan.of_type("aws:kms/key:Key"))
    if keys:
        rate = pricer.price("kms_key_month")
        yield Line("KMS keys", f"{keys} x 1 month", None if rate is None else _money(rate * keys))
    for acl in plan.of_type("aws:wafv2/webAcl:WebAcl"):
        acl_rate, rule_rate = pricer.price("waf_web_acl_month"), pricer.price("waf_rule_month")
        rules = len(acl.inputs.get("rules") or [])
        yield Line(f"AWS WAF web ACL {acl.name}", f"1 web ACL + {rules} rules x 1 month",
                   None if acl_rate is None or rule_rate is None
                   else _money(acl_rate + rule_rate * rules))
    swarm_services = plan.of_type("docker:index/service:Service")
    if swarm_services:
        tasks = sum(s.inputs["mode"]["replicated"]["replicas"] for s in swarm_services)
        yield Line("Docker Swarm services", f"{len(swarm_services)} services, {tasks} tasks",
                   Decimal(0), "on the Swarm's own nodes, which this stack neither creates nor "
                   "prices: no AWS cost")
    yield from _ec2_lines(pricer)
    yield from _fargate_lines(pricer)
    yield from _nomad_lines(plan)


# --- nomad
NOMAD_NOTE = "runs on your Nomad clients: no AWS cost"


def _nomad_lines(plan: Plan) -> Iterator[Line]:
    """Nomad jobs cost nothing on AWS: a zero line each, so the estimate says so."""
    for job in plan.of_type("nomad:index/job:Job"):
        spec = json.loads(job.inputs["jobspec"])
        for group in spec["TaskGroups"]:
            sizes = ", ".join(f"{t['Resources']['CPU']} MHz, {t['Resources']['MemoryMB']} MiB"
                              for t in group["Tasks"])
            yield Line(f"Nomad job {spec['ID']}", f"{group['Count']} x ({sizes})", Decimal(0),
                       NOMAD_NOTE)


def _launch_template(plan: Plan, resource: Resource) -> Resource:
    """The launch template a node group or Auto Scaling group is created from."""
    return next(r for r in plan.of_type("aws:ec2/launchTemplate:LaunchTemplate")
                if r.urn in resource.depends_on)


def _root_volume_gb(template: Resource) -> int:
    return template.inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"]


def _ec2_lines(pricer: _Pricer) -> Iterator[Line]:
    plan = pricer.plan
    for group in plan.of_type("eks:index:ManagedNodeGroup"):
        yield from pricer.ec2(f"EKS managed nodes {group.name}", group.inputs["scalingConfig"]["desiredSize"],
                              group.inputs["instanceTypes"][0],
                              _root_volume_gb(_launch_template(plan, group)))
    for group in plan.of_type("aws:autoscaling/group:Group"):
        template = _launch_template(plan, group)
        if plan.by_urn(group.parent).type == "shipyard:eks:EksNodeGroup":
            item, count = f"EKS self-managed nodes {group.name}", group.inputs["desiredCapacity"]
        else:  # ECS managed scaling starts from the minimum
            item, count = f"ECS container instances {group.name}", group.inputs["minSize"]
        yield from pricer.ec2(item, count, template.inputs["instanceType"], _root_volume_gb(template))


def _fargate_lines(pricer: _Pricer) -> Iterator[Line]:
    plan = pricer.plan
    tasks = _task_sizes(plan)
    discount = pricer.price("fargate_spot_discount") or Decimal(0)
    for service in plan.of_type("aws:ecs/service:Service"):
        task = tasks[service.name]
        if task.inputs["requiresCompatibilities"] != ["FARGATE"]:
            continue
        vcpu, gib = Decimal(task.inputs["cpu"]) / 1024, Decimal(task.inputs["memory"]) / 1024
        arch = task.inputs["runtimePlatform"]["cpuArchitecture"]
        count = service.inputs["desiredCount"]
        strategy = {s["capacityProvider"]: s for s in service.inputs["capacityProviderStrategies"]}
        spot = strategy.get("FARGATE_SPOT", {}).get("weight", 0) > 0
        on_demand = min(count, strategy.get("FARGATE", {}).get("base", 0)) if spot else count
        if on_demand:
            yield pricer.fargate(f"ECS Fargate {service.name}", Decimal(on_demand), vcpu, gib, arch)
        if count - on_demand:
            yield pricer.fargate(f"ECS Fargate Spot {service.name}", Decimal(count - on_demand),
                                 vcpu, gib, arch, discount, note="Spot discount ~70%, varies")
    profiles = plan.of_type("aws:eks/fargateProfile:FargateProfile")
    namespaces = {s["namespace"] for p in profiles for s in p.inputs["selectors"] if not s.get("labels")}
    for deployment in plan.of_type("kubernetes:apps/v1:Deployment"):
        if deployment.inputs["metadata"]["namespace"] in namespaces:
            requests = deployment.inputs["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
            size = right_size(int(requests["cpu"][:-1]) / 1000,
                              int(requests["memory"][:-2]) + EKS_FARGATE_OVERHEAD_MIB)
            yield pricer.fargate(f"EKS Fargate pods {deployment.name}",
                                 Decimal(deployment.inputs["spec"]["replicas"]),
                                 Decimal(size.cpu) / 1024, Decimal(size.memory) / 1024, "X86_64")
    profile_names = {p.inputs["fargateProfileName"] for p in profiles}
    for profile, label, pods, vcpu, mib in SYSTEM_FARGATE_PODS:
        if profile in profile_names:
            size = right_size(vcpu, mib + EKS_FARGATE_OVERHEAD_MIB)
            yield pricer.fargate(f"EKS Fargate pods {label}", Decimal(pods),
                                 Decimal(size.cpu) / 1024, Decimal(size.memory) / 1024, "X86_64")


def _right_sized(lines: list[Line], config: StackConfig) -> list[Line]:
    """Say on each ECS Fargate line whose task is larger than its spec asks that it is billed
    at its right-sized task, and from what (the plan explains why)."""
    notes = {r.service: f"right-sized from {r.asked} to {r.runs}, the smallest valid Fargate size"
             for r in resized_tasks(config)}
    for index, line in enumerate(lines):
        name = line.item.rsplit(" ", 1)[-1]
        if line.item.startswith("ECS Fargate") and name in notes:
            note = "; ".join(filter(None, (line.note, notes[name])))
            lines[index] = Line(line.item, line.quantity, line.monthly, note)
    return lines


def estimate(plan: Plan, table: Optional[dict[str, Any]] = None,
             config: Optional[StackConfig] = None) -> Estimate:
    """The plan's monthly estimate; with the stack's `config`, lines say which tasks were
    right-sized from their spec."""
    table = table or load_prices()
    pricer = _Pricer(plan, table)
    lines = list(_lines(pricer))
    if config is not None:
        lines = _right_sized(lines, config)
    if pricer.prices is None:
        lines = [Line(l.item, l.quantity, None, f"{plan.region} is not priced") for l in lines]
    not_included = tuple(text for key, text in table["not_included"].items()
                         if USAGE_CHARGES[key](plan))
    if plan.of_type("docker-build:index:Image"):
        not_included += (IMAGE_BUILDS_NOTE,)
    return Estimate(plan.stack, plan.region, table["date"], tuple(lines), not_included)


def render(estimate: Estimate) -> str:
    width = max([len(l.item) for l in estimate.lines] + [20])
    rows = [f"Estimated monthly cost of {estimate.stack} ({estimate.region}, "
            f"on-demand prices of {estimate.priced_on}):"]
    for line in estimate.lines:
        amount = f"${line.monthly:>10,.2f}" if line.monthly is not None else "  not priced"
        note = f"  ({line.note})" if line.note else ""
        rows.append(f"  {line.item:<{width}}  {amount}  {line.quantity}{note}")
    total = f"${estimate.total:,.2f}" + ("" if estimate.complete else " + items not priced")
    rows.append(f"  {'Total':<{width}}  {total}")
    rows.append("Not included (usage-based): " + "; ".join(estimate.not_included))
    return "\n".join(rows)


def to_json(estimate: Estimate) -> str:
    return json.dumps({
        "stack": estimate.stack, "region": estimate.region, "pricedOn": estimate.priced_on,
        "lines": [{"item": l.item, "quantity": l.quantity, "note": l.note,
                   "monthly": None if l.monthly is None else str(l.monthly)} for l in estimate.lines],
        "total": str(estimate.total), "complete": estimate.complete,
        "notIncluded": list(estimate.not_included)}, indent=2)
