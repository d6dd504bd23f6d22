"""An existing Swarm's nodes are unknown to Shipyard: they may be of any architecture. The daemon
keeps each task to nodes of its image's platforms (it reads them from the registry when the
service is created: terraform-provider-docker resource_docker_service_funcs.go sets
QueryRegistry)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shipyard import architectures as arch

if TYPE_CHECKING:
    from shipyard.config.schema import StackConfig


def capacity(config: StackConfig) -> tuple[str, ...]:
    return arch.ARCHITECTURES


def build_architectures(config: StackConfig) -> tuple[str, ...]:
    """amd64, the common case."""
    return (arch.AMD64,)
