"""The config rules only a Docker Swarm has: how Shipyard reaches it, what its daemon refuses, and
what Swarm cannot do (said here, not faked)."""

from __future__ import annotations

import os
from typing import Callable, Iterator

from shipyard.aws.endpoints import ecr_region
from shipyard.config.rules import Problem
from shipyard.config.schema import StackConfig
from shipyard.platforms import PLATFORMS, with_capability
from shipyard.platforms.swarm.service_spec import (
    MIN_NANO_CPUS,
    NANO_CPUS_PER_VCPU,
    file_env_name,
    service_name_problem,
)

TLS_KEYS = ("caMaterial", "certMaterial", "keyMaterial")


def swarm_host(config: StackConfig) -> Iterator[Problem]:
    """Each host scheme takes its own settings: mutual TLS for tcp://, ssh options for ssh://."""
    swarm = config.swarm
    given = {"caMaterial": swarm.ca_material, "certMaterial": swarm.cert_material,
             "keyMaterial": swarm.key_material}
    if swarm.scheme == "tcp":
        for key, value in given.items():
            if value is None:
                yield ("swarm", key), (
                    "required with a tcp:// host: the Docker API over TCP must use mutual TLS "
                    "(an unauthenticated daemon socket is root on the manager)")
    else:
        for key, value in given.items():
            if value is not None:
                yield ("swarm", key), (f"only used with a tcp:// host (host is "
                                       f"{swarm.host or 'unset'})")
    if swarm.ssh_opts and swarm.scheme != "ssh":
        yield ("swarm", "sshOpts"), f"only used with an ssh:// host (host is {swarm.host or 'unset'})"


def swarm_publishing(config: StackConfig) -> Iterator[Problem]:
    """The daemon refuses a port published through the routing mesh on a dnsrr service
    (swarmkit manager/controlapi/service.go, validateEndpointSpec: "port published with ingress
    mode can't be used with dnsrr mode"); and one Swarm publishes a port for one service only."""
    swarm = config.swarm
    public = [(index, s) for index, s in enumerate(config.services)
              if s.public and config.runs_on(s, "swarm")]
    if not swarm.enabled or not public:
        return
    if swarm.endpoint_mode == "dnsrr" and swarm.publish_mode == "ingress":
        names = ", ".join(s.name for _, s in public)
        yield ("swarm", "publishMode"), (
            f"'ingress' with endpointMode 'dnsrr' is refused by the Swarm daemon for public "
            f"services ({names}): set publishMode: host, or endpointMode: vip")
    first: dict[int, str] = {}
    for index, service in public:
        if service.port in first:
            yield ("services", index, "port"), (
                f"{service.port} is already published on Docker Swarm by '{first[service.port]}' "
                "(a public service publishes its own port on the Swarm's nodes): give one of "
                "them another port")
        first.setdefault(service.port, service.name)


def swarm_service_settings(config: StackConfig) -> Iterator[Problem]:
    for index, service in enumerate(config.services):
        on_swarm = "swarm" in config.platforms_of(service)
        command = service.health_command
        if command is not None and not on_swarm:
            yield ("services", index, "healthCommand"), (
                "only used on Docker Swarm (elsewhere the health check is an HTTP request to "
                "healthCheckPath)")
        elif command and command[0] == "NONE":
            yield ("services", index, "healthCommand"), (
                "NONE would turn the health check off, and with it rollbacks of broken updates: "
                "give a command that checks the service")
        if on_swarm and round(service.cpu * NANO_CPUS_PER_VCPU) < MIN_NANO_CPUS:
            yield ("services", index, "cpu"), (
                f"{service.cpu} vCPU is below the 0.001 vCPU ({MIN_NANO_CPUS:,} NanoCPUs) a "
                "Docker Swarm task can be limited to")


def swarm_secret_files(config: StackConfig) -> Iterator[Problem]:
    """On Swarm each secret arrives as a file, named to the app by `<NAME>_FILE`."""
    for index, service in enumerate(config.services):
        if not config.runs_on(service, "swarm"):
            continue
        for key in sorted(service.secrets):
            if file_env_name(key) in service.env:
                yield ("services", index, "env", file_env_name(key)), (
                    f"on Docker Swarm Shipyard sets it to the path of the secret {key}'s file: "
                    "rename this variable")


def swarm_ecr_images(config: StackConfig, region: str) -> Iterator[Problem]:
    """Shipyard gets the Swarm's ECR credentials in the stack's region (the stack's AWS
    provider): an ECR registry of another region would refuse them."""
    for index, service in enumerate(config.services):
        image_region = ecr_region(service.image) if service.image else None
        if config.runs_on(service, "swarm") and image_region and image_region != region:
            yield ("services", index, "image"), (
                f"is in ECR in {image_region}, but Shipyard gets the Swarm's registry "
                f"credentials in {region} (aws:region): replicate the repository to {region}")


def swarm_names(config: StackConfig, prefix: str,
                is_secret: Callable[[str], bool]) -> Iterator[Problem]:
    """Swarm names carry the stack's prefix: with it, each must still be a DNS label."""
    for index, service in enumerate(config.services):
        problem = service_name_problem(prefix, service) if config.runs_on(service, "swarm") else None
        if problem:
            yield ("services", index, "name"), problem


def swarm_tls_key(config: StackConfig, prefix: str,
                  is_secret: Callable[[str], bool]) -> Iterator[Problem]:
    """The client key opens the daemon (root on the manager): never plain text in the stack
    file, where it would land in version control."""
    if config.swarm.key_material and not is_secret("swarm.keyMaterial"):
        yield ("swarm", "keyMaterial"), (
            "must be a Pulumi secret, not plain text in the stack file: `pulumi config set "
            "--secret --path shipyard:swarm.keyMaterial < key.pem`")


# Docker provider settings its environment supplies when the provider's own are unset, and what
# each then does to a stack that names its `host` (terraform-provider-docker v4.5.0
# internal/provider/provider.go, the schema's DefaultFuncs; config.go, MakeClient).
OVERRIDING_ENV = {
    "DOCKER_CONTEXT": "the provider would deploy to that Docker context's host instead",
    "DOCKER_CERT_PATH": "the provider would speak TLS with that folder's certificates to this "
                        "host (an ssh:// or unix:// host then fails), or refuse TLS material "
                        "(\"cert_path must not be specified\")",
}
# Read only when the stack gives no TLS material (it must for tcp://): they would turn TLS on.
MATERIAL_ENV = ("DOCKER_CA_MATERIAL", "DOCKER_CERT_MATERIAL", "DOCKER_KEY_MATERIAL")


def swarm_deployer_environment(config: StackConfig, prefix: str,
                               is_secret: Callable[[str], bool]) -> Iterator[Problem]:
    """The environment of `pulumi up` must not reroute a stack that names its Swarm's host. A
    stack without `host` deploys to the deployer's Docker environment on purpose: any is fine."""
    swarm = config.swarm
    if not (swarm.enabled and swarm.host):
        return
    effects = dict(OVERRIDING_ENV)
    if swarm.scheme != "tcp":
        effects.update({name: f"the provider would speak TLS to this {swarm.scheme}:// host"
                        for name in MATERIAL_ENV})
    for name, effect in effects.items():
        if os.environ.get(name):
            yield ("swarm", "host"), (
                f"{name} is set in the environment of whoever runs this: {effect}: unset it "
                f"(`unset {name}`) where `pulumi up` runs")   # never its value: it may be a key


def notes(config: StackConfig) -> Iterator[str]:
    """What Swarm cannot do, said in `plan` and `check` (not an error)."""
    if not config.swarm.enabled:
        return
    where = config.swarm.host or "DOCKER_HOST (else the local socket) of whoever runs it"
    yield (f"`pulumi up` deploys the Swarm services through the Docker API at {where}: the "
           "runner must reach that manager")
    on_swarm = config.services_on("swarm")
    scaled = [name for name in with_capability("autoscaling")
              if name in config.enabled_platforms() and getattr(config, name).autoscaling.enabled]
    for service in on_swarm:
        elsewhere = [PLATFORMS[name].title for name in scaled if config.runs_on(service, name)]
        if elsewhere:
            yield (f"Docker Swarm has no autoscaling: {service.name} runs {service.replicas} "
                   f"replicas there (`replicas`), while {' and '.join(elsewhere)} scale it")
    if on_swarm:
        yield ("Docker Swarm has no autoscaling: each service runs its `replicas` "
               f"({', '.join(f'{s.name} {s.replicas}' for s in on_swarm)})")
    by_tag = [s for s in on_swarm if s.image and "@" not in s.image]
    if by_tag:
        # terraform-provider-docker v4.5.0 resource_docker_service_funcs.go: only the create
        # queries the registry (QueryRegistry), pinning tag@sha256 (moby client
        # service_create.go), which the provider reads back as a change from what it was given.
        yield (f"Docker Swarm runs {', '.join(f'{s.name} ({s.image})' for s in by_tag)} by "
               "tag: Swarm pins a tag to its digest when it creates the service, and the next "
               "`pulumi up` shows a change that unpins it and restarts every task; give each "
               "`image` by digest (name@sha256:…) to run exactly what was planned")


RULES = (swarm_host, swarm_publishing, swarm_service_settings, swarm_secret_files)
REGIONAL_RULES = (swarm_ecr_images,)
STACK_RULES = (swarm_names, swarm_tls_key, swarm_deployer_environment)
NOTES = (notes,)
