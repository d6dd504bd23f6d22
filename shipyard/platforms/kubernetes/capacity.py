"""An existing cluster's nodes are unknown to Shipyard: they may be of any architecture; the
pods are kept to amd64 nodes."""

from shipyard.services.architectures import amd64_builds as build_architectures
from shipyard.services.architectures import any_node as capacity

__all__ = ["build_architectures", "capacity"]
