"""The services as Nomad jobs on an existing cluster (`pulumi up`)."""

from __future__ import annotations

from components.nomad.target import NomadTarget, NomadTargetArgs
from shipyard.platforms.base import Outputs, Shared
from shipyard.services.architectures import pod_architectures


def deploy(shared: Shared) -> Outputs:
    config = shared.config
    on_cluster = config.services_on("nomad")
    NomadTarget("nomad", NomadTargetArgs(
        on_cluster, shared.images, config.nomad,
        architectures={s.name: pod_architectures(config, s, "nomad") for s in on_cluster}))
    return {}
