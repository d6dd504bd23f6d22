"""SwarmTarget: an existing Docker Swarm to deploy services to — its provider (a manager's Docker
API, with ECR credentials), one overlay network per called service, and one service each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from components.swarm.service import SwarmService, SwarmServiceArgs
from shipyard.aws.endpoints import ECR_IMAGE
from shipyard.config.schema import Service
from shipyard.platforms.swarm import service_spec as spec
from shipyard.platforms.swarm.spec import Swarm
from shipyard.services.calls import called
from shipyard.services.image_reference import familiar_string, repository_path


@dataclass(frozen=True)
class SwarmTargetArgs:
    prefix: str                                  # the stack's `<project>-<stack>`
    services: list[Service]
    images: Mapping[str, pulumi.Input[str]]
    swarm: Swarm
    # The ECR registries the images come from, by account id (None: the stack's own account).
    ecr_registries: tuple[Optional[str], ...] = field(default_factory=tuple)


def _registry_auth(registry_id: Optional[str]) -> dict[str, pulumi.Input[str]]:
    """An ECR token (12 hours) for the provider, which hands it to Swarm with each service it
    creates or updates (resource_docker_service_funcs.go, retrieveAndMarshalAuth): see
    docs/swarm.md for what its expiry means for later pulls."""
    token = aws.ecr.get_authorization_token_output(registry_id=registry_id)
    return {"address": token.proxy_endpoint, "username": token.user_name,
            "password": pulumi.Output.secret(token.password)}


def _swarm_image(service: Service, image: pulumi.Input[str]) -> pulumi.Input[str]:
    """The image as Swarm will store it, so that the provider reads back what it was given and
    no later `pulumi up` shows a change: in the moby client's familiar form, and a `repository`
    + `tag` pinned to the digest the tag has now (one ECR lookup per `pulumi up`: a tag pushed
    again rolls the service at the next one). Without a digest, the Docker provider's create
    pins a tag itself (terraform-provider-docker v4.5.0 resource_docker_service_funcs.go sets
    QueryRegistry; moby client/service_create.go, resolveContainerSpecImage) and its next update
    unpins it again."""
    if isinstance(image, str):
        return familiar_string(image)
    reference = pulumi.Output.from_input(image)
    if not (service.repository and not service.build):
        return reference.apply(familiar_string)
    found = aws.ecr.get_image_output(
        registry_id=reference.apply(lambda ref: ECR_IMAGE.match(ref)["account"]),
        repository_name=reference.apply(repository_path), image_tag=service.tag)
    return pulumi.Output.all(reference, found.image_digest).apply(
        lambda values: familiar_string(f"{values[0]}@{values[1]}"))


class SwarmTarget(pulumi.ComponentResource):
    def __init__(self, name: str, args: SwarmTargetArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:swarm:SwarmTarget", name, None, opts)
        swarm = args.swarm
        provider = docker.Provider(
            name, host=swarm.host, ssh_opts=swarm.ssh_opts or None,
            ca_material=swarm.ca_material, cert_material=swarm.cert_material,
            key_material=pulumi.Output.secret(swarm.key_material) if swarm.key_material else None,
            registry_auth=[_registry_auth(r) for r in args.ecr_registries] or None,
            opts=pulumi.ResourceOptions(parent=self))
        on_swarm = pulumi.ResourceOptions(parent=self, provider=provider)
        # `calls` enforced by Swarm: a called service's network holds it and its callers only.
        networks = {callee: docker.Network(f"{name}-{callee}-calls",
                                           **spec.network_inputs(args.prefix, callee),
                                           opts=on_swarm)
                    for callee in sorted(called(args.services))}
        for service in args.services:
            attached = [networks[callee].id for callee in service.calls]
            aliases = {}
            if service.name in networks:  # callers reach it as http://<name>:<port>
                aliases[len(attached)] = (service.name,)
                attached.append(networks[service.name].id)
            SwarmService(f"{name}-{service.name}", SwarmServiceArgs(
                service, args.prefix, swarm, _swarm_image(service, args.images[service.name]),
                attached, aliases),
                opts=pulumi.ResourceOptions(parent=self, providers=[provider]))
        self.register_outputs({})
