"""Networks that reach AWS without NAT: every interface endpoint the enabled compute calls is
created (shipyard/aws/endpoints.py), and images no endpoint reaches are config errors."""

from __future__ import annotations

import pytest

from shipyard.aws.endpoints import interface_endpoints
from shipyard.config import ConfigError, parse
from tests.conftest import run_shipyard

NO_NAT = {"natGateways": "none", "vpcEndpoints": True}
EKS = {"enabled": True, "publicAccessCidrs": ["203.0.113.0/24"]}
ECR_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api:1.4.2"
SECRETS = {"DB": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
           "KEY": "arn:aws:ssm:us-east-1:123456789012:parameter/app/key"}


def endpoints_of(shipyard: dict) -> set[str]:
    return set(interface_endpoints(parse(shipyard)))


def planned_endpoints(shipyard: dict) -> set[str]:
    plan = run_shipyard({**shipyard, "network": NO_NAT})
    return {e.inputs["serviceName"].removeprefix("com.amazonaws.us-east-1.")
            for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}


def test_ecs_on_ec2_gets_the_container_agent_and_ssm_endpoints():
    assert planned_endpoints({"ecs": {"enabled": True, "capacity": "ec2"}}) == {
        "s3", "ecr.api", "ecr.dkr", "logs", "ecs", "ecs-agent", "ecs-telemetry",
        "ssm", "ssmmessages", "ec2messages"}


def test_fargate_tasks_get_ecr_logs_and_the_secret_stores_they_read():
    service = {"name": "api", "image": ECR_IMAGE, "secrets": SECRETS}
    assert planned_endpoints({"ecs": {"enabled": True}, "services": [service]}) == {
        "s3", "ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm"}


def test_ecs_exec_needs_ssmmessages():
    assert "ssmmessages" in endpoints_of({"ecs": {"enabled": True, "enableExec": True}})
    assert "ssmmessages" not in endpoints_of({"ecs": {"enabled": True}})


def test_eks_nodes_get_what_the_private_cluster_guide_lists():
    assert endpoints_of({"eks": {**EKS, "nodeGroups": [{"name": "general"}]}}) == {
        "ecr.api", "ecr.dkr", "ec2", "sts", "eks-auth", "eks"}


def test_eks_on_fargate_only_needs_ecr_and_sts():
    assert endpoints_of({"eks": {**EKS, "fargateProfiles": [{"name": "apps", "namespaces": ["apps"]}]}}) \
        == {"ecr.api", "ecr.dkr", "sts"}


def test_a_stack_pays_for_no_endpoint_it_does_not_call():
    assert "eks-auth" not in endpoints_of({"ecs": {"enabled": True}})
    assert "ecs-agent" not in endpoints_of({"ecs": {"enabled": True, "capacity": "fargate"}})


@pytest.mark.parametrize("image, registry", [("nginx:1.27", "Docker Hub"),
                                             ("ghcr.io/acme/api:1.0", "ghcr.io"),
                                             ("public.ecr.aws/nginx/nginx:1.27", "public.ecr.aws")])
def test_a_public_image_without_nat_is_a_config_error(image, registry):
    with pytest.raises(ConfigError) as error:
        run_shipyard({"ecs": {"enabled": True}, "network": NO_NAT,
                      "services": [{"name": "api", "image": image}]})
    assert error.value.problems == [
        f"shipyard:services[0].image: {registry} is not reachable from private subnets without "
        "NAT (shipyard:network.natGateways is 'none'): push the image to ECR (or use an ECR "
        "pull-through cache) or add a NAT gateway"]
    assert error.value.registered == ()


def test_an_ecr_image_from_another_region_without_nat_is_a_config_error():
    with pytest.raises(ConfigError) as error:
        run_shipyard({"ecs": {"enabled": True}, "network": NO_NAT, "services": [
            {"name": "api", "image": ECR_IMAGE.replace("us-east-1", "eu-west-1")}]})
    assert error.value.problems == [
        "shipyard:services[0].image: is in ECR in eu-west-1, but without NAT "
        "(shipyard:network.natGateways is 'none') private subnets reach only us-east-1's ECR "
        "(aws:region), through its endpoints: replicate the repository to us-east-1 or add a "
        "NAT gateway"]


def test_ecr_images_and_nat_networks_are_fine():
    run_shipyard({"ecs": {"enabled": True}, "network": NO_NAT,
                  "services": [{"name": "api", "image": ECR_IMAGE}]})
    run_shipyard({"ecs": {"enabled": True}, "services": [{"name": "api", "image": "nginx:1.27"}]})
