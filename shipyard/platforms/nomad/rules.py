"""The config rules only Nomad has: the MHz per vCPU, TLS material, static ports of public
services, and Nomad's own registration checks on the very jobs Shipyard would register."""

from __future__ import annotations

from typing import Callable, Iterator

from shipyard.config.rules import Problem
from shipyard.config.schema import StackConfig
from shipyard.platforms.nomad.jobspec import (
    CALLS_SPLAY,
    SECOND,
    holds_static_ports,
    job,
    scaling_bounds,
)
from shipyard.platforms.nomad.validation import job_problems

# Stands in for the image in a rule's jobspec: the image has no bearing on the rules.
_ANY_IMAGE = "registry.invalid/image@sha256:" + "0" * 64


def _on_nomad(config: StackConfig):
    return [(index, s) for index, s in enumerate(config.services) if config.runs_on(s, "nomad")]


def nomad_cpu(config: StackConfig) -> Iterator[Problem]:
    if config.nomad.cpu_mhz_per_vcpu is None and config.nomad.enabled and _on_nomad(config):
        yield ("nomad", "cpuMhzPerVcpu"), (
            "required with services on Nomad: Nomad reserves CPU in MHz, and a vCPU has no fixed "
            "MHz; give your clients' clock speed (cpu.frequency in `nomad node status -verbose`), "
            "e.g. 2400")


def nomad_tls(config: StackConfig) -> Iterator[Problem]:
    settings = config.nomad
    if settings.cert_pem and not settings.key_pem:
        yield ("nomad", "certPem"), "needs keyPem: a client certificate goes with its key"
    if settings.key_pem and not settings.cert_pem:
        yield ("nomad", "keyPem"), "needs certPem: a client key goes with its certificate"


def nomad_static_ports(config: StackConfig) -> Iterator[Problem]:
    """A public service listens on its `port` on the client's host network: two such services
    with one port could never share a client."""
    first: dict[int, int] = {}
    for index, service in _on_nomad(config):
        if not service.public:
            continue
        if service.port in first:
            yield ("services", index, "port"), (
                f"public on Nomad, so its port {service.port} is a static port on each client it "
                f"runs on, as services[{first[service.port]}]'s is: give one another port")
        first.setdefault(service.port, index)
    if config.nomad.public_tags and not any(s.public for _, s in _on_nomad(config)):
        yield ("nomad", "publicTags"), "set, but no public service runs on Nomad"


def nomad_registration(config: StackConfig) -> Iterator[Problem]:
    """What Nomad itself would refuse when the job is registered (validation.py)."""
    if not config.nomad.enabled or config.nomad.cpu_mhz_per_vcpu is None:
        return
    for index, service in _on_nomad(config):
        for problem in job_problems(job(service, _ANY_IMAGE, config.nomad)):
            yield ("services", index), f"Nomad would refuse its job: {problem}"


def notes(config: StackConfig) -> Iterator[str]:
    """What `plan` and `check` say of Nomad but do not refuse."""
    settings = config.nomad
    on_nomad = [service for _, service in _on_nomad(config)]
    if not settings.enabled or not on_nomad:
        return
    if settings.address is None:
        # terraform-provider-nomad v2.6.1 nomad/provider.go providerConfigure: "address must be
        # provided either in provider configuration or via NOMAD_ADDR".
        yield ("shipyard:nomad.address is unset: `pulumi up` takes NOMAD_ADDR from where it runs, "
               "and fails without it (the provider has no default address)")
    if settings.autoscaling.enabled:
        # Nomad sets each existing group's count back to the running one after validation
        # (hashicorp/nomad v1.11.3 nomad/state/state_store.go updatePreservedValues).
        yield ("Nomad keeps the running count of each existing job (preserve_counts, with "
               "shipyard:nomad.autoscaling): a changed `replicas`, minReplicas or maxReplicas "
               "changes the scaling bounds but not the count of "
               f"{', '.join(s.name for s in on_nomad)}; only the Nomad Autoscaler (a separate "
               "agent you run) or `nomad job scale` moves it, so without the Autoscaler a count "
               "may stay outside new bounds (autoscaling.enabled: false makes `replicas` the "
               "count)")
    for service in on_nomad:
        if holds_static_ports(service):
            bounds = scaling_bounds(service, settings)
            most = bounds.max if bounds else service.replicas
            yield (f"{service.name} is public on Nomad: static port {service.port} on each "
                   "client, so at most one allocation per client; its up to "
                   f"{most} allocations (replicas {service.replicas}"
                   + (f", scaling max {bounds.max}" if bounds else "")
                   + f") need {most} clients with that port free in datacenters "
                   f"{', '.join(settings.datacenters)}; an allocation with none fails its "
                   "deployment (Shipyard cannot count your clients offline)")
    names = {service.name for service in on_nomad}
    for service in on_nomad:
        callees = [callee for callee in service.calls if callee in names]
        if callees:
            yield (f"{service.name} gets {' and '.join(callees)}'s address from the catalog: a "
                   f"deployment of {' or '.join(callees)} restarts each {service.name} "
                   "allocation whose picked instance it replaces, within "
                   f"{CALLS_SPLAY // SECOND} s, with no health gate (a callee at one replica: "
                   "all of them at once)")


def nomad_credentials(config: StackConfig, prefix: str,
                      is_secret: Callable[[str], bool]) -> Iterator[Problem]:
    """The ACL token and the client key open the cluster: never plain text in the stack file,
    where they would land in version control."""
    for key, value in (("token", config.nomad.token), ("keyPem", config.nomad.key_pem)):
        if value and not is_secret(f"nomad.{key}"):
            yield ("nomad", key), (
                "must be a Pulumi secret, not plain text in the stack file: `pulumi config set "
                f"--secret --path shipyard:nomad.{key}" + (" < key.pem`" if key == "keyPem" else "`"))


RULES = (nomad_cpu, nomad_tls, nomad_static_ports, nomad_registration)
STACK_RULES = (nomad_credentials,)
NOTES = (notes,)
