"""NomadService: one cloud-neutral service as a Nomad job, with its secrets in the job's Variable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_nomad as nomad

from shipyard.config.schema import Service
from shipyard.platforms.nomad import jobspec
from shipyard.platforms.nomad.spec import Nomad
from shipyard.services.secret_values import SecretValueError, read_secret


@dataclass(frozen=True)
class NomadServiceArgs:
    service: Service
    image: pulumi.Input[str]
    settings: Nomad
    callees: tuple[Service, ...] = ()  # the services it calls, found through discovery
    architectures: tuple[str, ...] = ()  # client architectures to keep it to; () for any
    after: tuple[pulumi.Resource, ...] = ()  # jobs whose deployment must succeed first


def _within_variable_limit(service: str, items: dict[str, str]) -> dict[str, str]:
    problem = jobspec.variable_size_problem(items)
    if problem:
        raise SecretValueError(f"service {service} on Nomad: {problem}")
    return items


class NomadService(pulumi.ComponentResource):
    def __init__(self, name: str, args: NomadServiceArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:nomad:NomadService", name, None, opts)
        service, settings = args.service, args.settings
        child = pulumi.ResourceOptions(parent=self)
        depends_on = list(args.after)
        versions: pulumi.Output[dict[str, str]] = pulumi.Output.from_input({})
        if service.secrets:
            # Read at `pulumi up` from the same references as on ECS and Kubernetes; the values
            # stay Pulumi secrets in the Variable's `items`, never in the jobspec, which carries
            # only their versions (not secret, so its diff stays readable).
            reads = {key: read_secret(arn, f"service {service.name}, secret {key} ({arn})")
                     for key, arn in sorted(service.secrets.items())}
            depends_on.append(nomad.Variable(
                f"{name}-secrets", path=jobspec.variable_path(service.name),
                namespace=settings.namespace,
                items=pulumi.Output.all(**{key: read.value for key, read in reads.items()}).apply(
                    lambda items: _within_variable_limit(service.name, items)), opts=child))
            versions = pulumi.Output.all(**{key: read.source for key, read in reads.items()})
        waits = jobspec.deployment_minutes(service, settings)
        self.job = nomad.Job(
            name,
            jobspec=pulumi.Output.all(args.image, versions).apply(
                lambda values: jobspec.jobspec(service, values[0], settings, args.callees,
                                               args.architectures, values[1])),
            json=True,
            # Wait for the deployment: healthy allocations, or a failed (auto-reverted) one.
            detach=False,
            # With autoscaling the Nomad Autoscaler owns the count: a `pulumi up` keeps it.
            # Without, `replicas` is the count, and a `pulumi up` applies a change to it.
            preserve_counts=settings.autoscaling.enabled,
            # Deregister, not purge: the stopped job and its history stay for `nomad job
            # status` and a revert until Nomad's garbage collector removes them.
            purge_on_destroy=False,
            # A job stopped outside Pulumi (`nomad job stop`) stays "dead" until garbage
            # collection, and the provider's refresh finds it unchanged: this makes a dead job
            # a diff, so `pulumi up` runs it again (terraform-provider-nomad v2.6.1
            # nomad/resource_job.go, resourceJobCustomizeDiff).
            rerun_if_dead=True,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=depends_on,
                # A public service's job holds its static port on each client it runs on: a
                # replacement (a new namespace forces one: terraform-provider-nomad v2.6.1
                # nomad/resource_job.go resourceJobCustomizeDiff) created before the old job is
                # deregistered could not be placed beside it, and `pulumi up` would wait for
                # a deployment that never comes. A private job's dynamic ports never collide.
                delete_before_replace=jobspec.holds_static_ports(service),
                custom_timeouts=pulumi.CustomTimeouts(create=f"{waits}m", update=f"{waits}m")))
        self.register_outputs({})
