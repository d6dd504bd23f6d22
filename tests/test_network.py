"""Network: subnet carving (pure) and the VPC component under mocks."""

from __future__ import annotations

import ipaddress
import json

import pytest

from shipyard.aws.cidr import carve
from tests.conftest import run_shipyard

ECS = {"enabled": True}
SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"


@pytest.mark.parametrize("vpc", ["10.0.0.0/16", "172.16.0.0/20", "192.168.4.0/22"])
@pytest.mark.parametrize("azs", range(1, 7))
def test_carved_subnets_are_inside_the_vpc_and_disjoint(vpc, azs):
    plan = carve(vpc, azs)
    blocks = [ipaddress.IPv4Network(c) for c in plan.private + plan.public]
    assert len(plan.private) == len(plan.public) == azs
    assert all(b.subnet_of(ipaddress.IPv4Network(vpc)) for b in blocks)
    assert all(not a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1:])
    assert all(b.prefixlen <= 28 for b in blocks)  # AWS's smallest subnet


def test_adding_an_az_keeps_existing_subnets():
    two, three = carve("10.0.0.0/16", 2), carve("10.0.0.0/16", 3)
    assert three.private[:2] == two.private and three.public[:2] == two.public


def test_private_subnets_get_an_eighth_and_public_a_sixty_fourth():
    plan = carve("10.0.0.0/16", 2)
    assert plan.private == ["10.0.0.0/19", "10.0.32.0/19"]
    assert plan.public == ["10.0.224.0/22", "10.0.228.0/22"]


@pytest.mark.parametrize("azs", [2, 3, 5])
def test_one_public_and_one_private_subnet_per_az(azs):
    plan = run_shipyard({"ecs": ECS, "network": {"availabilityZones": azs}})
    subnets = plan.of_type(SUBNET)
    assert len(subnets) == 2 * azs
    zones = {s.inputs["availabilityZone"] for s in subnets}
    # us-east-1's usable zone IDs in order (use1-az3 skipped), as named in the mock account
    assert zones == set(["us-east-1c", "us-east-1d", "us-east-1a", "us-east-1f", "us-east-1b"][:azs])
    vpc = ipaddress.IPv4Network(plan.one("aws:ec2/vpc:Vpc").inputs["cidrBlock"])
    blocks = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in subnets]
    assert all(b.subnet_of(vpc) for b in blocks)
    assert len({b for b in blocks}) == len(blocks)


def test_no_subnet_assigns_public_ips():
    plan = run_shipyard({"ecs": ECS})
    assert {s.inputs["mapPublicIpOnLaunch"] for s in plan.of_type(SUBNET)} == {False}


def test_vpc_has_dns_support_and_hostnames():
    vpc = run_shipyard({"ecs": ECS}).one("aws:ec2/vpc:Vpc")
    assert vpc.inputs["enableDnsSupport"] is True and vpc.inputs["enableDnsHostnames"] is True
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"


@pytest.mark.parametrize("strategy, azs, expected", [
    ("none", 3, 0), ("single", 3, 1), ("perAz", 3, 3), ("perAz", 2, 2)])
def test_nat_gateway_count_follows_the_strategy(strategy, azs, expected):
    network = {"natGateways": strategy, "availabilityZones": azs, "vpcEndpoints": strategy == "none"}
    plan = run_shipyard({"ecs": ECS, "network": network})
    assert len(plan.of_type(NAT)) == expected
    assert len(plan.of_type("aws:ec2/eip:Eip")) == expected


def test_single_nat_is_the_default():
    assert len(run_shipyard({"ecs": ECS}).of_type(NAT)) == 1


def _default_route(table) -> dict:
    return next(r for r in table.inputs.get("routes", []) if r["cidrBlock"] == "0.0.0.0/0")


@pytest.mark.parametrize("strategy", ["single", "perAz"])
def test_private_routes_go_through_nat(strategy):
    plan = run_shipyard({"ecs": ECS, "network": {"natGateways": strategy, "availabilityZones": 3}})
    nat_ids = sorted({_default_route(t)["natGatewayId"]
                      for t in plan.of_type("aws:ec2/routeTable:RouteTable") if "private" in t.name})
    assert len(nat_ids) == (1 if strategy == "single" else 3)
    public = plan.one("aws:ec2/routeTable:RouteTable", "shipyard-test-public")
    assert _default_route(public)["gatewayId"].startswith("igw-")


def test_without_nat_private_subnets_have_no_default_route_but_endpoints():
    plan = run_shipyard({"ecs": ECS, "network": {"natGateways": "none", "vpcEndpoints": True}})
    for table in plan.of_type("aws:ec2/routeTable:RouteTable"):
        if "private" in table.name:
            assert table.inputs.get("routes", []) == []
    services = sorted(e.inputs["serviceName"] for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint"))
    assert "com.amazonaws.us-east-1.s3" in services and "com.amazonaws.us-east-1.ecr.dkr" in services
    interface = [e for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                 if e.inputs["vpcEndpointType"] == "Interface"]
    assert all(e.inputs["privateDnsEnabled"] for e in interface)


def test_default_security_group_allows_nothing():
    group = run_shipyard({"ecs": ECS}).one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert group.inputs.get("ingress", []) == [] and group.inputs.get("egress", []) == []


def test_flow_logs_capture_all_traffic_to_a_retained_log_group():
    plan = run_shipyard({"ecs": ECS, "network": {"flowLogRetentionDays": 30}})
    flow_log = plan.one("aws:ec2/flowLog:FlowLog")
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    group = plan.one("aws:cloudwatch/logGroup:LogGroup", "shipyard-test-flow-logs")
    assert group.inputs["retentionInDays"] == 30
    assert flow_log.inputs["logDestination"].startswith(
        "arn:aws:logs:us-east-1:123456789012:log-group:shipyard-test-flow-logs-")
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", "shipyard-test-flow-logs").inputs["policy"])
    assert policy["Statement"][0]["Resource"][0] == flow_log.inputs["logDestination"]
    trust = json.loads(plan.one("aws:iam/role:Role", "shipyard-test-flow-logs").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}


def test_existing_vpc_registers_no_network_resources():
    network = {"vpcId": "vpc-0123456789abcdef0",
               "publicSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
               "privateSubnetIds": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]}
    plan = run_shipyard({"ecs": ECS, "network": network})
    component = plan.one("shipyard:network:Network")
    assert plan.children(component) == []
    assert not [r for r in plan.resources if r.type.startswith("aws:ec2/")]
    assert plan.outputs["vpcId"] == network["vpcId"]
    assert plan.outputs["privateSubnetIds"] == network["privateSubnetIds"]


def test_no_vpc_when_nothing_runs_in_it():
    plan = run_shipyard({"ecr": {"repositories": [{"name": "api"}]}})
    assert plan.of_type("shipyard:network:Network") == []
    assert "vpcId" not in plan.outputs


@pytest.mark.parametrize("enabled, named", [
    ({"ecs": {"enabled": True}}, "Amazon ECS"),
    ({"ecs": {"enabled": True}, "eks": {"enabled": True}}, "Amazon ECS and Amazon EKS"),
    ({"swarm": {"enabled": True, "host": "unix:///var/run/docker.sock"}}, None)])
def test_no_egress_names_each_enabled_platform_in_the_vpc(enabled, named):
    """The registry's `in_vpc` says which platforms need the private subnets' egress."""
    from shipyard.config.rules import private_egress
    from shipyard.config.schema import StackConfig

    config = StackConfig.model_validate({**enabled, "network": {"natGateways": "none"}})
    messages = [message for _, message in private_egress(config)]
    assert messages == ([f"'none' leaves private subnets without egress, but containers there "
                         f"({named}) must pull images and reach AWS APIs: use 'single' or "
                         "'perAz', or set network.vpcEndpoints"] if named else [])
