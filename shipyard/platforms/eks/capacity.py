"""The CPU architectures of the EKS nodes the services' pods may land on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shipyard.services import architectures as arch

if TYPE_CHECKING:
    from shipyard.config.schema import StackConfig


def capacity(config: StackConfig) -> tuple[str, ...]:
    return arch.eks_capacity(config)


def build_architectures(config: StackConfig) -> tuple[str, ...]:
    """Pods may land on any of their nodes: a build covers them all."""
    return arch.eks_capacity(config)
