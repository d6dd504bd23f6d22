"""Which ECS-optimized AMI an instance type needs, from AWS's public SSM parameters."""

from __future__ import annotations

import re

ECS_AL2023_X86 = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
ECS_AL2023_ARM = "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"

# Graviton families carry a "g" after the generation digit: t4g, m7g, c7gn, r8g, x2gd; A1 is the
# first-generation Graviton family and has none ("Amazon EC2 A1 instances ... AWS Graviton
# processors", EC2 instance types guide). g5 and the like are NVIDIA GPU families on x86: there
# the "g" comes first.
_GRAVITON = re.compile(r"^([a-z]+\d+[a-z]*g[a-z]*|a1)\.")


def is_graviton(instance_type: str) -> bool:
    return bool(_GRAVITON.match(instance_type))


def ecs_ami_parameter(instance_type: str) -> str:
    return ECS_AL2023_ARM if is_graviton(instance_type) else ECS_AL2023_X86


def cpu_architecture(instance_type: str) -> str:
    """The ECS task runtimePlatform cpuArchitecture for tasks placed on this instance type."""
    return "ARM64" if is_graviton(instance_type) else "X86_64"

