"""The CPU architectures ECS runs tasks on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shipyard.config.types import ARCHITECTURES
from shipyard.services.architectures import (
    AMD64,
    ARM64,
    image_architectures,
    of_instance_type,
)

if TYPE_CHECKING:
    from shipyard.config.schema import Service, StackConfig

ECS_NAMES = {AMD64: "X86_64", ARM64: "ARM64"}


def capacity(config: StackConfig) -> tuple[str, ...]:
    """The architectures ECS tasks can run on: both on Fargate (and Fargate Spot), the instances'
    one on EC2 capacity."""
    if config.ecs.capacity == "ec2":
        return (of_instance_type(config.ecs.ec2.instance_type),)
    return ARCHITECTURES


def build_architectures(config: StackConfig) -> tuple[str, ...]:
    """A task runs one architecture (`runtimePlatform.cpuArchitecture`): the first it offers."""
    return capacity(config)[:1]


def cpu_architecture(config: StackConfig, service: Service) -> str:
    """The task definition's `runtimePlatform.cpuArchitecture`: the first of the image's
    architectures that the ECS capacity runs (a mismatch is a config error, reported first)."""
    offered = capacity(config)
    image = image_architectures(config, service)
    return ECS_NAMES[next((a for a in image if a in offered), offered[0])]
