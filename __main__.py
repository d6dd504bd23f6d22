"""Shipyard: one environment per stack. Config in, components wired, outputs out."""

import pulumi

from components.custom_domain import CustomDomain, CustomDomainArgs, hosted_zone_id
from components.ecr import EcrRepository, EcrRepositoryArgs, existing_repository_url
from components.image_build import ImageBuild, ImageBuildArgs
from components.log_encryption_key import LogEncryptionKey, LogEncryptionKeyArgs
from components.network import Network, NetworkArgs
from shipyard.aws.context import AwsContext
from shipyard.aws.endpoints import interface_endpoints
from shipyard.aws.naming import repository_logical_name
from shipyard.config import from_pulumi
from shipyard.platforms import PLATFORMS
from shipyard.platforms.base import Shared
from shipyard.services.image_build import MUTABLE_TAG_FILTER, build_platforms

config = from_pulumi()  # the whole config is validated before any resource exists
prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}"
# Account, region and zones, when a platform runs in the VPC (ECR and an existing cluster need none)
aws_context = AwsContext.lookup(config.network) if config.needs_network else None

# Images: one stack owns (creates) each repository, the others use it (docs/images.md: ECR across stacks)
built_into = {s.repository for s in config.services if s.build}
repository_urls = {
    repo.name: EcrRepository(repository_logical_name(repo.name), EcrRepositoryArgs(
        repo, protect=config.production,
        mutable_tag_filters=(MUTABLE_TAG_FILTER,)
        if repo.name in built_into or repo.built_elsewhere else ())).repository_url
    if config.ecr.mode == "create" else existing_repository_url(repo.name)
    for repo in config.ecr.repositories
}
builds = {s.name: ImageBuild(f"{s.name}-image", ImageBuildArgs(
    s.build, repository_urls[s.repository], build_platforms(config, s),
    pulumi.get_stack())) for s in config.services if s.build}
images = {s.name: builds[s.name].image_ref if s.build
          else s.image or repository_urls[s.repository].apply(
              lambda url, tag=s.tag: f"{url}:{tag}")
          for s in config.services}

# The network (and the customer-managed key of its logs, when asked for)
log_key_arn = config.logs.kms_key_arn if config.log_kms_encryption else None
network = None
if aws_context:
    if config.needs_log_key:
        log_key_arn = LogEncryptionKey(prefix, LogEncryptionKeyArgs(
            prefix, aws_context, protect=config.production)).arn
    network = Network(prefix, NetworkArgs(config.network, aws_context, log_key_arn,
                                          interface_endpoints(config),
                                          protect_logs=config.production))

# Custom domains: a certificate per public service's domain, validated in the existing zone
with_domain = [s for s in config.services if s.domain]
zone_id = hosted_zone_id(config.dns.zone) if with_domain else None
# (named by the domain, so its records stay put when the service is renamed)
domains = {s.name: CustomDomain(s.domain, CustomDomainArgs(s.domain, zone_id))
           for s in with_domain}

# Each enabled platform, in the registry's order (shipyard/platforms); only its code is imported
shared = Shared(config, prefix, aws_context, network, images, domains, log_key_arn)
platform_outputs = {}
for name in config.enabled_platforms():
    platform_outputs.update(PLATFORMS[name].hook("deploy").deploy(shared))

# Outputs
pulumi.export("repositoryUrls", repository_urls)
if builds:  # what each built service runs: promote these digests to other stacks
    pulumi.export("builtImages", {name: build.image_ref for name, build in builds.items()})
if network:
    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("publicSubnetIds", network.public_subnet_ids)
    pulumi.export("privateSubnetIds", network.private_subnet_ids)
for output, value in platform_outputs.items():
    pulumi.export(output, value)
