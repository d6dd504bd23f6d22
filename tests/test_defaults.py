"""GIVEN a minimal config WHEN a key is left out THEN its documented default applies.

One test per default that matters for security, cost or availability.
"""

from __future__ import annotations

import json

import pytest

from shipyard.review.engine import Plan
from tests.conftest import run_shipyard


@pytest.fixture(scope="module")
def minimal() -> Plan:
    """ECS, EKS and one repository, each with nothing but what is required."""
    return run_shipyard({
        "ecr": {"repositories": [{"name": "api"}]},
        "ecs": {"enabled": True},
        "eks": {"enabled": True, "publicAccessCidrs": ["203.0.113.0/24"],
                "nodeGroups": [{"name": "general"}]},
        "services": [{"name": "api", "image": "nginx:1.27"}]})


# network
def test_vpc_cidr_defaults_to_10_0_0_0_16(minimal):
    assert minimal.one("aws:ec2/vpc:Vpc").inputs["cidrBlock"] == "10.0.0.0/16"


def test_two_availability_zones_by_default(minimal):
    assert len({s.inputs["availabilityZone"] for s in minimal.of_type("aws:ec2/subnet:Subnet")}) == 2


def test_one_nat_gateway_by_default(minimal):
    assert len(minimal.of_type("aws:ec2/natGateway:NatGateway")) == 1


def test_no_vpc_endpoints_by_default(minimal):
    assert minimal.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") == []


def test_flow_logs_kept_90_days_by_default(minimal):
    group = minimal.one("aws:cloudwatch/logGroup:LogGroup", "shipyard-test-flow-logs")
    assert group.inputs["retentionInDays"] == 90


# ECR
def test_ecr_scans_on_push_by_default(minimal):
    assert minimal.one("aws:ecr/repository:Repository").inputs["imageScanningConfiguration"] == {"scanOnPush": True}


def test_ecr_tags_are_immutable_by_default(minimal):
    assert minimal.one("aws:ecr/repository:Repository").inputs["imageTagMutability"] == "IMMUTABLE"


def test_ecr_keeps_repositories_with_images_by_default(minimal):
    assert minimal.one("aws:ecr/repository:Repository").inputs["forceDelete"] is False


def test_ecr_lifecycle_keeps_30_images_and_expires_untagged_after_7_days(minimal):
    rules = json.loads(minimal.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])["rules"]
    assert [r["selection"]["countNumber"] for r in rules] == [7, 30]


def test_stateful_resources_unprotected_outside_production(minimal):
    assert not minimal.one("aws:ecr/repository:Repository").protect
    assert not minimal.one("aws:kms/key:Key").protect


# services and ECS
def test_service_defaults_size_port_and_replicas(minimal):
    task = minimal.one("aws:ecs/taskDefinition:TaskDefinition")
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("256", "512")
    container = json.loads(task.inputs["containerDefinitions"])[0]
    assert container["portMappings"][0]["containerPort"] == 8080
    assert minimal.one("aws:ecs/service:Service").inputs["desiredCount"] == 2


def test_services_are_private_by_default(minimal):
    assert minimal.of_type("aws:lb/loadBalancer:LoadBalancer") == []
    service = next(r for r in minimal.of_type("kubernetes:core/v1:Service"))
    assert service.inputs["spec"]["type"] == "ClusterIP"


def test_services_run_on_every_enabled_platform_by_default(minimal):
    assert minimal.of_type("aws:ecs/service:Service")
    assert minimal.of_type("kubernetes:apps/v1:Deployment")


def test_services_call_nobody_and_nobody_gets_in_by_default(minimal):
    """Security: a private service that declares no callers accepts no traffic anywhere."""
    ingress = minimal.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert [r for r in ingress if r.name.startswith("api")] == []
    [policy] = minimal.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    assert policy.inputs["spec"]["ingress"] == []


def test_no_service_connect_proxy_or_namespace_by_default(minimal):
    """Cost: no Cloud Map namespace and no proxy in tasks until services call each other."""
    assert minimal.of_type("aws:servicediscovery/httpNamespace:HttpNamespace") == []
    assert "serviceConnectConfiguration" not in minimal.one("aws:ecs/service:Service").inputs


def test_no_custom_domain_and_no_dns_change_by_default(minimal):
    assert minimal.of_type("aws:acm/certificate:Certificate") == []
    assert minimal.of_type("aws:route53/record:Record") == []


def test_ecs_capacity_is_fargate_by_default(minimal):
    strategy = minimal.one("aws:ecs/service:Service").inputs["capacityProviderStrategies"]
    assert strategy == [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]


def test_container_insights_on_by_default(minimal):
    assert minimal.one("aws:ecs/cluster:Cluster").inputs["settings"][0]["value"] == "enabled"


def test_ecs_exec_off_by_default(minimal):
    assert minimal.one("aws:ecs/service:Service").inputs["enableExecuteCommand"] is False


def test_service_logs_kept_30_days_by_default(minimal):
    assert minimal.one("aws:cloudwatch/logGroup:LogGroup", "api-logs").inputs["retentionInDays"] == 30


def test_autoscaling_on_from_replicas_to_three_times_by_default(minimal):
    target = minimal.one("aws:appautoscaling/target:Target").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 6)
    hpa = minimal.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)


def test_ec2_capacity_defaults():
    plan = run_shipyard({"ecs": {"enabled": True, "capacity": "ec2"}})
    group = plan.one("aws:autoscaling/group:Group").inputs
    assert (group["minSize"], group["maxSize"]) == (1, 4)
    template = plan.one("aws:ec2/launchTemplate:LaunchTemplate").inputs
    assert template["instanceType"] == "t3.medium"
    assert template["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 30


def test_load_balancer_is_plain_http_without_a_certificate_and_unprotected():
    plan = run_shipyard({"ecs": {"enabled": True},
                         "services": [{"name": "web", "image": "nginx:1.27", "public": True}]})
    assert [l.inputs["protocol"] for l in plan.of_type("aws:lb/listener:Listener")] == ["HTTP"]
    balancer = plan.one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert balancer["enableDeletionProtection"] is False and balancer["idleTimeout"] == 60
    assert "accessLogs" not in balancer


# EKS
def test_eks_version_defaults_to_one_in_standard_support(minimal):
    assert minimal.one("eks:index:Cluster").inputs["version"] == "1.35"


def test_eks_endpoint_public_outside_production_by_default(minimal):
    assert minimal.one("eks:index:Cluster").inputs["endpointPublicAccess"] is True


def test_eks_logs_api_audit_authenticator_by_default(minimal):
    assert minimal.one("eks:index:Cluster").inputs["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]


def test_eks_secrets_key_created_by_default(minimal):
    assert minimal.one("aws:kms/key:Key").inputs["enableKeyRotation"] is True


def test_node_group_defaults(minimal):
    group = minimal.one("eks:index:ManagedNodeGroup").inputs
    assert group["instanceTypes"] == ["t3.medium"]
    assert group["capacityType"] == "ON_DEMAND"
    assert group["scalingConfig"] == {"minSize": 1, "maxSize": 3, "desiredSize": 1}
    template = minimal.one("aws:ec2/launchTemplate:LaunchTemplate", "shipyard-test-general").inputs
    assert template["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 20


def test_workloads_go_to_the_apps_namespace_by_default(minimal):
    assert minimal.one("kubernetes:core/v1:Namespace").inputs["metadata"]["name"] == "apps"
