"""The services as Docker Swarm services on an existing Swarm (`pulumi up`)."""

from __future__ import annotations

from typing import Optional

from components.swarm.target import SwarmTarget, SwarmTargetArgs
from shipyard.aws.endpoints import ECR_IMAGE
from shipyard.config import StackConfig
from shipyard.platforms.base import Outputs, Shared
from shipyard.platforms.swarm.service_spec import service_name


def ecr_registries(config: StackConfig) -> tuple[Optional[str], ...]:
    """The ECR registries the Swarm's images come from, by account (None: this stack's own,
    where `repository` and `build` images are)."""
    accounts: set[Optional[str]] = set()
    for service in config.services_on("swarm"):
        match = ECR_IMAGE.match(service.image) if service.image else None
        if match:
            accounts.add(match["account"])
        elif service.repository:
            accounts.add(None)
    return tuple(sorted(accounts, key=lambda account: account or ""))


def deploy(shared: Shared) -> Outputs:
    config = shared.config
    on_swarm = config.services_on("swarm")
    SwarmTarget("swarm", SwarmTargetArgs(shared.prefix, on_swarm, shared.images, config.swarm,
                                         ecr_registries(config)))
    return {"swarmServices": {s.name: service_name(shared.prefix, s) for s in on_swarm}}
