"""The services as Docker Swarm services on an existing Swarm (`pulumi up`)."""

from __future__ import annotations

from typing import Optional

import pulumi

from components.swarm.target import SwarmTarget, SwarmTargetArgs
from shipyard.config import ConfigError, StackConfig
from shipyard.config.load import NAMESPACE
from shipyard.endpoints import ECR_IMAGE
from shipyard.platforms.base import Outputs, Shared
from shipyard.platforms.swarm.service_spec import service_name, service_name_problem

SECTION = f"{NAMESPACE}:swarm"


def deploy_problems(config: StackConfig, prefix: str) -> list[str]:
    """What only the running program knows: the stack's name (in every Swarm name) and whether
    the TLS key came in as a Pulumi secret."""
    problems = [f"{NAMESPACE}:services[{index}].name: {problem}"
                for index, service in enumerate(config.services)
                if config.runs_on(service, "swarm")
                for problem in [service_name_problem(prefix, service)] if problem]
    if config.swarm.key_material and not pulumi.runtime.config.is_config_secret(SECTION):
        problems.append(f"{SECTION}.keyMaterial: must be a Pulumi secret, not plain text in the "
                        "stack file: `pulumi config set --secret --path shipyard:swarm.keyMaterial "
                        "< key.pem`")
    return problems


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
    problems = deploy_problems(config, shared.prefix)
    if problems:
        raise ConfigError(problems)
    on_swarm = config.services_on("swarm")
    SwarmTarget("swarm", SwarmTargetArgs(shared.prefix, on_swarm, shared.images, config.swarm,
                                         ecr_registries(config)))
    return {"swarmServices": {s.name: service_name(shared.prefix, s) for s in on_swarm}}
