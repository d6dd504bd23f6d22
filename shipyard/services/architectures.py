"""CPU architectures: which ones a service's image has, which ones the capacity of each platform
runs, and so where its containers may go.

Names are the OCI and Kubernetes ones, `amd64` (x86-64) and `arm64` (Graviton): what an image
index lists (`docker manifest inspect`), what `--platform linux/<arch>` builds and what the
`kubernetes.io/arch` node label says. ECS spells them `X86_64` and `ARM64`.

- An instance type is arm64 when it is a Graviton type, amd64 otherwise: :func:`shipyard.aws.ami.is_graviton`,
  the same test that picks the ECS and EKS AMIs (and the managed node groups' `amiType`).
- ECS on Fargate runs `X86_64` and `ARM64` tasks, as the task definition's
  `runtimePlatform.cpuArchitecture` says; Fargate Spot as well, on platform version 1.4.0 or later
  (botocore's ecs model, CapacityProviderStrategyItem: "FARGATE_SPOT supports Linux tasks with
  the ARM64 architecture on platform version 1.4.0 or later"; Shipyard runs `LATEST`). On EC2
  capacity a task runs on the container instances' architecture.
- EKS Fargate runs x86-64 pods only: no Graviton for EKS Fargate (aws/containers-roadmap#1629,
  still open).
- The kubelet labels every node `kubernetes.io/arch` with Go's `runtime.GOARCH` (Kubernetes docs,
  "Well-Known Labels, Annotations and Taints"), so a nodeSelector on it is safe on any cluster.

An image Shipyard builds has every architecture its platforms run (one build per architecture,
joined in one index). An image it does not build has what `services[].architectures` says:
`[amd64]` unless told otherwise, the architecture almost every image has. Pods are kept to nodes
of the image's architectures only where the cluster's nodes have others; ECS tasks run the first
of the image's architectures their capacity offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from shipyard.aws.ami import is_graviton
from shipyard.config.schema import Service, StackConfig
from shipyard.config.types import ARCHITECTURES, DEFAULT_ARCHITECTURES
from shipyard.platforms import PLATFORMS

AMD64, ARM64 = ARCHITECTURES


def of_instance_type(instance_type: str) -> str:
    return ARM64 if is_graviton(instance_type) else AMD64


def ordered(architectures: set[str]) -> tuple[str, ...]:
    return tuple(a for a in ARCHITECTURES if a in architectures)


# --- what the capacity runs ---------------------------------------------------------------------

def any_node(config: StackConfig) -> tuple[str, ...]:
    """The capacity of an existing cluster, whose nodes Shipyard does not know: any architecture
    (the orchestrator keeps each container to nodes of its image's architectures)."""
    return ARCHITECTURES


def amd64_builds(config: StackConfig) -> tuple[str, ...]:
    """What an image Shipyard builds for an existing cluster covers: amd64, the common case."""
    return (AMD64,)


def capacity(config: StackConfig, platform: str) -> tuple[str, ...]:
    """The architectures `platform` may run a container on (its `capacity` hook)."""
    return PLATFORMS[platform].hook("capacity").capacity(config)


def built_architectures(config: StackConfig, service: Service) -> tuple[str, ...]:
    """The architectures Shipyard builds `service` for: every one its platforms run it on."""
    needed = {a for platform in config.platforms_of(service)
              for a in PLATFORMS[platform].hook("capacity").build_architectures(config)}
    return ordered(needed) or (AMD64,)


def image_architectures(config: StackConfig, service: Service) -> tuple[str, ...]:
    """The architectures the service's image has: what Shipyard builds, or what
    `services[].architectures` says of an image it does not build (default amd64), in the
    order given."""
    if service.build is not None:
        return built_architectures(config, service)
    return tuple(service.architectures or DEFAULT_ARCHITECTURES)


# --- where it runs ------------------------------------------------------------------------------

def pod_architectures(config: StackConfig, service: Service, platform: str) -> tuple[str, ...]:
    """The architectures to keep the service's pods to on a Kubernetes `platform` (the
    `kubernetes.io/arch` values), or () when every node they may land on can run the image."""
    image = set(image_architectures(config, service))
    offered = capacity(config, platform)
    if set(offered) <= image:
        return ()
    return ordered(image & set(offered))


# --- a prebuilt image its capacity cannot run -----------------------------------------------------

@dataclass(frozen=True)
class Mismatch:
    """A service whose prebuilt image has none of the architectures its platform's capacity runs
    (each platform's rules say why its capacity runs those and what to change)."""

    index: int
    service: Service
    image: tuple[str, ...]     # what the image has
    runs: tuple[str, ...]      # what the platform's capacity runs

    @property
    def claim(self) -> str:
        if self.service.architectures is None:
            return (f"the image counts as {' and '.join(self.image)} only (the default for an "
                    "image Shipyard does not build)")
        return f"the image is listed as {' and '.join(self.image)} only"

    @property
    def listing(self) -> str:
        every = [a for a in ARCHITECTURES if a in self.image or a in self.runs]
        return (f"if it has {' and '.join(self.runs)} too, list it in architectures "
                f"([{', '.join(every)}])")


def mismatches(config: StackConfig, platform: str) -> Iterator[Mismatch]:
    """The services on the enabled `platform` whose image, not built by Shipyard, it cannot run."""
    if platform not in config.enabled_platforms():
        return
    runs = capacity(config, platform)
    for index, service in enumerate(config.services):
        if (service.build is None and (service.image or service.repository)
                and config.runs_on(service, platform)):
            image = image_architectures(config, service)
            if not set(image) & set(runs):
                yield Mismatch(index, service, image, runs)
