"""NomadTarget: an existing Nomad cluster to deploy services to — its provider, and one job per
service."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
import pulumi_nomad as nomad

from components.nomad.service import NomadService, NomadServiceArgs
from shipyard.config.schema import Service
from shipyard.platforms.nomad.spec import Nomad
from shipyard.services.calls import callees_first


def _secret(value: Optional[str]) -> Optional[pulumi.Output[str]]:
    return pulumi.Output.secret(value) if value is not None else None


@dataclass(frozen=True)
class NomadTargetArgs:
    services: list[Service]
    images: Mapping[str, pulumi.Input[str]]
    settings: Nomad  # shipyard:nomad
    # Service name -> the client architectures (attr.cpu.arch) its job is kept to; none when
    # every client may run its image.
    architectures: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


class NomadTarget(pulumi.ComponentResource):
    def __init__(self, name: str, args: NomadTargetArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:nomad:NomadTarget", name, None, opts)
        settings = args.settings
        # Unset address and token fall back to the deployer's NOMAD_ADDR and NOMAD_TOKEN.
        provider = nomad.Provider(
            name, address=settings.address, region=settings.region,
            secret_id=_secret(settings.token), ca_pem=settings.ca_pem,
            cert_pem=settings.cert_pem, key_pem=_secret(settings.key_pem),
            opts=pulumi.ResourceOptions(parent=self))
        by_name = {s.name: s for s in args.services}
        created: dict[str, NomadService] = {}
        for service in callees_first(args.services):
            # A caller starts once its callees' deployments are healthy, so its template finds
            # them in the catalog at its first render (rather than an empty address, then a
            # restart).
            created[service.name] = NomadService(f"{name}-{service.name}", NomadServiceArgs(
                service, args.images[service.name], settings,
                callees=tuple(by_name[c] for c in service.calls if c in by_name),
                architectures=args.architectures.get(service.name, ()),
                after=tuple(created[c].job for c in service.calls if c in created)),
                opts=pulumi.ResourceOptions(parent=self, providers=[provider]))
        self.register_outputs({"namespace": settings.namespace})
