"""Replica bounds: one rule for ECS autoscaling and Kubernetes HPAs alike."""

from __future__ import annotations

from typing import NamedTuple

from shipyard.config.schema import Service
from shipyard.config.types import Autoscaling

DEFAULT_MAX_FACTOR = 3


class ReplicaBounds(NamedTuple):
    min: int
    max: int


def replica_bounds(service: Service, autoscaling: Autoscaling) -> ReplicaBounds:
    """Lower bound: `minReplicas`, else the service's replicas. Upper: `maxReplicas`, else 3x."""
    low = autoscaling.min_replicas if autoscaling.min_replicas is not None else service.replicas
    high = (autoscaling.max_replicas if autoscaling.max_replicas is not None
            else low * DEFAULT_MAX_FACTOR)
    return ReplicaBounds(low, high)
