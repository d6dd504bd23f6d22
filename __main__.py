"""Shipyard: one environment per stack. Config in, components wired, outputs out."""

import pulumi

from components.ecr import EcrRepository, EcrRepositoryArgs
from components.network import Network, NetworkArgs
from shipyard.config import from_pulumi

config = from_pulumi()  # the whole config is validated before any resource exists
prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}"

repositories = {
    repo.name: EcrRepository(repo.name.replace("/", "-"),
                             EcrRepositoryArgs(repo, protect=config.production))
    for repo in config.ecr.repositories
}
network = Network(prefix, NetworkArgs(config.network)) if config.needs_network else None

pulumi.export("repositoryUrls", {name: repo.repository_url for name, repo in repositories.items()})
if network:
    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("publicSubnetIds", network.public_subnet_ids)
    pulumi.export("privateSubnetIds", network.private_subnet_ids)
