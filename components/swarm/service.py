"""SwarmService: one cloud-neutral service as a Docker Swarm service, with its secrets."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
import pulumi_docker as docker

from shipyard.config.schema import Service
from shipyard.platforms.swarm import service_spec as spec
from shipyard.platforms.swarm.spec import Swarm
from shipyard.services.secret_values import read_secret


@dataclass(frozen=True)
class SwarmServiceArgs:
    service: Service
    prefix: str                    # the stack's `<project>-<stack>`, prefixing every Swarm name
    swarm: Swarm
    image: pulumi.Input[str]
    # The overlay networks it attaches to: each callee's (to call it) and its own, if called.
    networks: list[pulumi.Input[str]] = field(default_factory=list)
    # By index into `networks`: the names it answers to there (its plain name on its own).
    aliases: Mapping[int, tuple[str, ...]] = field(default_factory=dict)


class SwarmService(pulumi.ComponentResource):
    def __init__(self, name: str, args: SwarmServiceArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:swarm:SwarmService", name, None, opts)
        service = args.service
        swarm_name = spec.service_name(args.prefix, service)
        child = pulumi.ResourceOptions(parent=self)
        secrets = [self._secret(f"{name}-{key}", args, swarm_name, key, reference, child)
                   for key, reference in sorted(service.secrets.items())]
        timeout = spec.operation_timeout(service)
        docker.Service(
            name, name=swarm_name,
            labels=spec.labels(args.prefix, service.name, **{spec.LABEL_PORT: str(service.port)}),
            task_spec=spec.task_spec(service, args.swarm, args.image, secrets, args.networks,
                                     args.aliases),
            mode={"replicated": {"replicas": service.replicas}},
            endpoint_spec=spec.endpoint_spec(service, args.swarm),
            update_config=spec.update_config(service, args.swarm),
            rollback_config=spec.rollback_config(service, args.swarm),
            converge_config=spec.converge_config(service),
            # Its name is fixed (the DNS name) and a change of its networks replaces it
            # (shipyard/platforms/swarm/facts.py): Swarm refuses a second service of one name,
            # so the old one goes first, a short outage of this service (docs/swarm.md).
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                delete_before_replace=True,
                custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout))))
        self.register_outputs({"name": swarm_name})

    @staticmethod
    def _secret(name: str, args: SwarmServiceArgs, swarm_name: str, key: str, reference: str,
                child: pulumi.ResourceOptions) -> dict[str, pulumi.Input[str]]:
        """A Docker secret holding one value, read at `pulumi up`, and how the service mounts it."""
        read = read_secret(reference, f"service {args.service.name}, secret {key} ({reference})")
        secret = docker.Secret(
            name, name=read.version.apply(
                lambda version: spec.secret_name(swarm_name, key, reference, version)),
            # Standard base64: the provider decodes it with base64.StdEncoding
            # (terraform-provider-docker resource_docker_secret.go, resourceDockerSecretCreate).
            data=read.value.apply(lambda value: base64.b64encode(value.encode()).decode()),
            labels=spec.labels(args.prefix, args.service.name, **{spec.LABEL_ENV: key}),
            opts=child)
        return {"secret_id": secret.id, "secret_name": secret.name, "file_name": key}
