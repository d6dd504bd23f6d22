"""The CPU architectures of the EKS nodes the services' pods may land on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from shipyard.platforms.eks.nodes import BLOCKING_TAINT_EFFECTS
from shipyard.services.architectures import AMD64, of_instance_type, ordered

if TYPE_CHECKING:
    from shipyard.config.schema import StackConfig
    from shipyard.platforms.eks.spec import FargateProfile, NodeGroup

EKS_FARGATE = (AMD64,)


def fargate_profile(config: StackConfig) -> Optional[FargateProfile]:
    """The Fargate profile that takes the services' namespace (every pod in it runs on Fargate:
    Shipyard's profiles select whole namespaces)."""
    return next((p for p in config.eks.fargate_profiles if config.eks.namespace in p.namespaces),
                None)


def schedulable_node_groups(config: StackConfig) -> list[NodeGroup]:
    """The node groups Shipyard's pods (which tolerate nothing) may be scheduled on: those
    without a NoSchedule or NoExecute taint."""
    return [group for group in config.eks.node_groups
            if not any(t.effect in BLOCKING_TAINT_EFFECTS for t in group.taints)]


def node_group_architectures(group: NodeGroup) -> tuple[str, ...]:
    return ordered({of_instance_type(t) for t in group.instance_types})


def capacity(config: StackConfig) -> tuple[str, ...]:
    """The architectures of the nodes the services' pods may land on: x86 only on Fargate,
    otherwise those of the node groups they may be scheduled on."""
    if fargate_profile(config):
        return EKS_FARGATE
    found = {a for group in schedulable_node_groups(config) for a in node_group_architectures(group)}
    return ordered(found) or (AMD64,)


def build_architectures(config: StackConfig) -> tuple[str, ...]:
    """Pods may land on any of their nodes: a build covers them all."""
    return capacity(config)
