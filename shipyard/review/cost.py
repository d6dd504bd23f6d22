"""Estimated monthly cost of a plan, line by line, from the price table in `prices.yaml`.

Only what the plan itself creates and runs around the clock is priced, at the replica and node
counts it starts with (autoscaling may add more). Usage-based charges are listed as not
included. Amounts are Decimals rounded to the cent per line; the total is the sum of the lines.
Each resource type's facts row says how its resources are priced (`ResourceFacts.cost`, a
function of a :class:`Pricer` and the plan's resources of that type); the lines come in the
facts table's order.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional

import yaml

from shipyard.aws.fargate import right_size
from shipyard.platforms import resource_facts

if TYPE_CHECKING:
    from shipyard.config import StackConfig
    from shipyard.review.engine import Plan, Resource

PRICES_FILE = Path(__file__).with_name("prices.yaml")
CENT = Decimal("0.01")
# EKS on Fargate bills each pod for its requests plus 256 MiB for the Kubernetes components.
EKS_FARGATE_OVERHEAD_MIB = 256
# Builds cost no AWS resource of their own: they run where `pulumi up` runs.
IMAGE_BUILDS_NOTE = ("image builds (they run on the machine that runs `pulumi up`; their "
                     "images and BuildKit cache count as ECR storage)")


def _has(*types: str) -> Callable[[Plan], bool]:
    return lambda plan: any(plan.of_type(t) for t in types)


# prices.yaml's not_included key -> whether a plan incurs that usage-based charge (a cost line
# names the charges of what only it knows, in `Line.usage`).
USAGE_CHARGES: dict[str, Callable[[Plan], bool]] = {
    "nat_gateway": _has("aws:ec2/natGateway:NatGateway"),
    "application_load_balancer": _has("aws:lb/loadBalancer:LoadBalancer"),
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
    usage: tuple[str, ...] = ()     # prices.yaml not_included keys the priced item incurs


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


class Pricer:
    def __init__(self, plan: Plan, table: dict[str, Any], config: Optional[StackConfig] = None):
        self.plan = plan
        self.config = config  # the stack's config, when known: lines may say what it asked for
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

    def monthly(self, item: str, count: int, *path: str) -> Line:
        rate = self.price(*path)
        return Line(item, f"{count} x 1 month", None if rate is None else _money(rate * count))

    @staticmethod
    def money(value: Decimal) -> Decimal:
        return _money(value)

    def eks_fargate_pods(self, item: str, pods: int, vcpu: float, mib: int) -> Line:
        """Pods on EKS Fargate, billed at the Fargate size their requests round up to."""
        size = right_size(vcpu, mib + EKS_FARGATE_OVERHEAD_MIB)
        return self.fargate(item, Decimal(pods), Decimal(size.cpu) / 1024,
                            Decimal(size.memory) / 1024, "X86_64")


def launch_template(plan: Plan, resource: Resource) -> Resource:
    """The launch template a node group or Auto Scaling group is created from."""
    return next(r for r in plan.of_type("aws:ec2/launchTemplate:LaunchTemplate")
                if r.urn in resource.depends_on)


def root_volume_gb(template: Resource) -> int:
    return template.inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"]


def _lines(pricer: Pricer) -> Iterator[Line]:
    for resource_type, row in resource_facts().items():
        resources = pricer.plan.of_type(resource_type) if row.cost else []
        if resources:
            yield from row.cost(pricer, resources)


def estimate(plan: Plan, table: Optional[dict[str, Any]] = None,
             config: Optional[StackConfig] = None) -> Estimate:
    """The plan's monthly estimate; with the stack's `config`, lines say which tasks were
    right-sized from their spec."""
    table = table or load_prices()
    pricer = Pricer(plan, table, config)
    lines = list(_lines(pricer))
    if pricer.prices is None:
        lines = [dataclasses.replace(l, monthly=None, note=f"{plan.region} is not priced")
                 for l in lines]
    incurred = {key for line in lines for key in line.usage}
    not_included = tuple(text for key, text in table["not_included"].items()
                         if key in incurred or key in USAGE_CHARGES and USAGE_CHARGES[key](plan))
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
