"""VPC and EC2 controls (Security Hub EC2.2, EC2.6, EC2.8, EC2.9, EC2.15, EC2.18, EC2.19,
EC2.25)."""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from shipyard.review.controls.base import (
    Control,
    Finding,
    Resource,
    dependents,
    get,
    is_true,
    items,
    of_type,
    verdict,
)

VPC = "aws:ec2/vpc:Vpc"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
AUTO_SCALING_GROUP = "aws:autoscaling/group:Group"
# Instances pulumi-eks launches itself (its self-managed node groups).
PULUMI_EKS_NODE_GROUPS = ("eks:index:NodeGroupV2", "eks:index:NodeGroup")
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
WORLD_IPV4, WORLD_IPV6 = "0.0.0.0/0", "::/0"
# EC2.18's default authorized ports for 0.0.0.0/0 (the load balancer's HTTP and HTTPS).
AUTHORIZED_PORTS = (80, 443)
# EC2.19's high-risk ports (Security Hub controls reference, EC2.19).
HIGH_RISK_PORTS = (20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333,
                   5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300)
ALL_PORTS = (0, 65535)


def default_security_group_closed(resources: Sequence[Resource]) -> Iterator[Finding]:
    for vpc in of_type(resources, VPC):
        managed = dependents(resources, vpc, DEFAULT_SECURITY_GROUP)
        closed = bool(managed) and all(
            not items(g.inputs.get("ingress")) and not items(g.inputs.get("egress")) for g in managed)
        yield verdict(vpc, closed, "default security group managed with no rules",
                      "default security group not managed empty (it allows traffic by default)")


def flow_logs(resources: Sequence[Resource]) -> Iterator[Finding]:
    for vpc in of_type(resources, VPC):
        yield verdict(vpc, bool(dependents(resources, vpc, FLOW_LOG)), "flow logs on",
                      "no VPC flow log")


def imdsv2(resources: Sequence[Resource]) -> Iterator[Finding]:
    for resource in of_type(resources, LAUNCH_TEMPLATE, INSTANCE):
        tokens = get(resource.inputs, "metadataOptions.httpTokens")
        yield verdict(resource, tokens == "required", "IMDSv2 required",
                      f"IMDSv2 not required (httpTokens: {tokens or 'optional'})")


def no_public_ip_instances(resources: Sequence[Resource]) -> Iterator[Finding]:
    for instance in of_type(resources, INSTANCE):
        yield verdict(instance, not is_true(instance.inputs.get("associatePublicIpAddress")),
                      "no public IP", "associatePublicIpAddress is true")
    for group in of_type(resources, AUTO_SCALING_GROUP):
        # An Auto Scaling group's instances get what its launch template's interfaces say.
        templates = [t for t in of_type(resources, LAUNCH_TEMPLATE) if t.urn in group.depends_on]
        public = any(is_true(i.get("associatePublicIpAddress"))
                     for t in templates for i in items(t.inputs.get("networkInterfaces")))
        yield verdict(group, bool(templates) and not public, "instances get no public IP",
                      "instances may get a public IP (no launch template that denies one)")
    for group in of_type(resources, *PULUMI_EKS_NODE_GROUPS):
        # pulumi-eks gives nodes public IPs unless told otherwise.
        yield verdict(group, group.inputs.get("nodeAssociatePublicIpAddress") is False,
                      "nodes get no public IP", "nodeAssociatePublicIpAddress is not false")


def no_public_ip_templates(resources: Sequence[Resource]) -> Iterator[Finding]:
    for template in of_type(resources, LAUNCH_TEMPLATE):
        public = any(is_true(i.get("associatePublicIpAddress"))
                     for i in items(template.inputs.get("networkInterfaces")))
        yield verdict(template, not public, "no public IP", "a network interface gets a public IP")


def private_subnets(resources: Sequence[Resource]) -> Iterator[Finding]:
    for subnet in of_type(resources, SUBNET):
        yield verdict(subnet, not is_true(subnet.inputs.get("mapPublicIpOnLaunch")),
                      "no automatic public IPs", "mapPublicIpOnLaunch is true")


def _port_range(protocol: Any, from_port: Any, to_port: Any) -> tuple[int, int]:
    if str(protocol) in ("-1", "all"):
        return ALL_PORTS
    return int(from_port if from_port is not None else 0), int(to_port if to_port is not None else 65535)


def _world_openings(resource: Resource) -> list[tuple[int, int]]:
    """Port ranges this security group (rule) opens to the whole internet."""
    inputs = resource.inputs
    if resource.type == INGRESS_RULE:
        world = inputs.get("cidrIpv4") == WORLD_IPV4 or inputs.get("cidrIpv6") == WORLD_IPV6
        if not world:
            return []
        return [_port_range(inputs.get("ipProtocol"), inputs.get("fromPort"), inputs.get("toPort"))]
    rules: list[Mapping[str, Any]] = (items(inputs.get("ingress")) if resource.type == SECURITY_GROUP
                                      else [inputs] if inputs.get("type") == "ingress" else [])
    return [_port_range(r.get("protocol"), r.get("fromPort"), r.get("toPort")) for r in rules
            if WORLD_IPV4 in items(r.get("cidrBlocks")) or WORLD_IPV6 in items(r.get("ipv6CidrBlocks"))]


def _describe(ranges: list[tuple[int, int]]) -> str:
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


def _ingress(resources: Sequence[Resource]) -> list[Resource]:
    return of_type(resources, INGRESS_RULE, LEGACY_RULE, SECURITY_GROUP)


def world_ingress_authorized(resources: Sequence[Resource]) -> Iterator[Finding]:
    for resource in _ingress(resources):
        openings = _world_openings(resource)
        bad = [(a, b) for a, b in openings if not (a == b and a in AUTHORIZED_PORTS)]
        yield verdict(resource, not bad, f"open to the internet only on {_describe(openings)}"
                      if openings else "not open to the internet",
                      f"port(s) {_describe(bad)} open to the internet (only 80/443 may be)")


def world_ingress_high_risk(resources: Sequence[Resource]) -> Iterator[Finding]:
    for resource in _ingress(resources):
        openings = _world_openings(resource)
        risky = sorted({p for p in HIGH_RISK_PORTS for a, b in openings if a <= p <= b})
        yield verdict(resource, not risky, "no high-risk port open to the internet",
                      f"high-risk port(s) {', '.join(map(str, risky))} open to the internet")


CONTROLS = (
    Control("EC2.2", "The VPC default security group allows nothing", default_security_group_closed),
    Control("EC2.6", "VPCs have flow logs", flow_logs),
    Control("EC2.8", "Instances and launch templates require IMDSv2", imdsv2),
    Control("EC2.9", "Instances get no public IPv4 address", no_public_ip_instances),
    Control("EC2.15", "Subnets don't assign public IPs automatically", private_subnets),
    Control("EC2.18", "Internet ingress only on authorized ports (80, 443)", world_ingress_authorized),
    Control("EC2.19", "No high-risk port open to the internet", world_ingress_high_risk),
    Control("EC2.25", "Launch templates assign no public IPs", no_public_ip_templates),
)
