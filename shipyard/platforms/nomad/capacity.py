"""An existing Nomad cluster's clients are unknown to Shipyard, as an existing Kubernetes
cluster's nodes are: the same answer (a job is kept to clients of its image's architectures,
`attr.cpu.arch`, see jobspec.py)."""

from shipyard.services.architectures import amd64_builds as build_architectures
from shipyard.services.architectures import any_node as capacity

__all__ = ["build_architectures", "capacity"]
