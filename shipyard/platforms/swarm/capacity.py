"""An existing Swarm's nodes are unknown to Shipyard: they may be of any architecture. The daemon
keeps each task to nodes of its image's platforms (it reads them from the registry when the
service is created: terraform-provider-docker resource_docker_service_funcs.go sets
QueryRegistry)."""

from shipyard.services.architectures import amd64_builds as build_architectures
from shipyard.services.architectures import any_node as capacity

__all__ = ["build_architectures", "capacity"]
