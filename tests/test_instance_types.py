"""Tasks that fit: on ECS EC2 capacity a task larger than what one instance offers tasks (its
registered memory less the agent's reservation) is a config error; sizes come from
shipyard/aws/instance_types.py."""

from __future__ import annotations

import base64

import pytest

from shipyard.aws import models as aws_models
from shipyard.aws.instance_types import InstanceSize, size_of
from shipyard.config import ConfigError
from tests.conftest import run_shipyard


@pytest.mark.parametrize("instance_type, size", [
    ("t4g.medium", InstanceSize(2, 4096)), ("t3.micro", InstanceSize(2, 1024)),
    ("m6i.large", InstanceSize(2, 8192)), ("c6i.2xlarge", InstanceSize(8, 16384)),
    ("r7g.medium", InstanceSize(1, 8192)), ("m7g.16xlarge", InstanceSize(64, 262144)),
    ("c5.9xlarge", InstanceSize(36, 73728)),
])
def test_sizes_follow_the_ec2_specifications(instance_type, size):
    assert instance_type in aws_models.instance_types()
    assert size_of(instance_type) == size


@pytest.mark.parametrize("instance_type", ["m6i.metal", "p5.48xlarge", "x2gd.large"])
def test_types_without_a_known_size_are_not_guessed(instance_type):
    assert size_of(instance_type) is None


def test_tasks_get_the_registered_memory_less_the_agents_reservation():
    assert size_of("t4g.medium").task_memory_mib == int(4096 * 0.97) - 256
    assert size_of("t4g.medium").task_cpu_units == 2048


def ec2_stack(instance_type: str, **service) -> dict:
    return {"ecs": {"enabled": True, "capacity": "ec2", "ec2": {"instanceType": instance_type}},
            # nginx images are multi-architecture (amd64 and arm64)
            "services": [{"name": "api", "image": "nginx:1.27",
                          "architectures": ["amd64", "arm64"], **service}]}


def test_a_task_bigger_than_the_instance_is_a_config_error():
    with pytest.raises(ConfigError) as error:
        run_shipyard(ec2_stack("t4g.medium", cpu=4, memory=8192))
    assert error.value.problems == [
        "shipyard:services[0].cpu: a task of 4096 CPU units does not fit on one t4g.medium "
        "(2 vCPU = 2048 units): lower it or choose a larger shipyard:ecs.ec2.instanceType",
        "shipyard:services[0].memory: a task of 8192 MiB does not fit on one t4g.medium, which "
        "offers tasks 3717 MiB (4096 MiB installed, less the kernel's share and the ECS agent's "
        "256 MiB reservation): lower it or choose a larger shipyard:ecs.ec2.instanceType"]
    assert error.value.registered == ()


def test_the_issue_example_2_vcpu_8_gib_on_t4g_medium_fails_on_memory():
    with pytest.raises(ConfigError) as error:
        run_shipyard(ec2_stack("t4g.medium", cpu=2, memory=8192))
    assert [p.split(":")[1] for p in error.value.problems] == ["services[0].memory"]


def test_a_task_that_fits_plans_and_the_agent_reserves_its_memory():
    plan = run_shipyard(ec2_stack("m6i.xlarge", cpu=2, memory=8192))
    script = base64.b64decode(plan.one("aws:ec2/launchTemplate:LaunchTemplate").inputs["userData"])
    assert b"ECS_RESERVED_MEMORY=256\n" in script
