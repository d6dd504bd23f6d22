"""The CPU architectures ECS runs tasks on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shipyard.services import architectures as arch

if TYPE_CHECKING:
    from shipyard.config.schema import StackConfig


def capacity(config: StackConfig) -> tuple[str, ...]:
    return arch.ecs_capacity(config)


def build_architectures(config: StackConfig) -> tuple[str, ...]:
    """A task runs one architecture (`runtimePlatform.cpuArchitecture`): the first it offers."""
    return arch.ecs_capacity(config)[:1]
