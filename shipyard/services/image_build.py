"""Building a service's image: which platforms to build for, and how it is named in ECR.

Pure facts for :mod:`components.image_build`. The platform follows where the service runs
(:func:`shipyard.services.architectures.built_architectures`), so an arm64-only image never lands on an x86
node (or the reverse): Graviton capacity needs linux/arm64, everything else linux/amd64, and a
service on both gets a multi-platform image (one digest, an OCI index that ECS and Kubernetes
resolve per node).
"""

from __future__ import annotations

import re
from pathlib import Path

from shipyard.config.schema import Service, StackConfig
from shipyard.services.architectures import built_architectures

AMD64, ARM64 = "linux/amd64", "linux/arm64"
# Tags Shipyard moves on every build. Everything else in a repository stays immutable:
# the repository excludes exactly these from tag immutability (IMMUTABLE_WITH_EXCLUSION).
BUILD_TAG_PREFIX = "shipyard-"
MUTABLE_TAG_FILTER = f"{BUILD_TAG_PREFIX}*"
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<name>`
_ECR_URL = re.compile(r"(?P<registry>(?P<account>\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?)/.+")


def build_platforms(config: StackConfig, service: Service) -> list[str]:
    """The platforms to build `service` for: every architecture it may be scheduled on."""
    return sorted(f"linux/{a}" for a in built_architectures(config, service))


def architecture(platform: str) -> str:
    """`linux/arm64` -> `arm64`."""
    return platform.split("/")[1]


def _suffix(platform: str | None) -> str:
    return f"-{architecture(platform)}" if platform else ""


def build_tag(stack: str, platform: str | None = None) -> str:
    """The tag a stack's build moves (one per platform when each is built on its own): it
    keeps the running image out of the repository's untagged-image expiry."""
    return f"{BUILD_TAG_PREFIX}{stack}{_suffix(platform)}"


def cache_reference(repository_url: str, stack: str, platform: str | None = None) -> str:
    """The BuildKit registry cache of a stack's builds, beside the images in the same
    repository; one per platform, as a multi-platform build caches only one of them
    (docker/buildx discussion #1382)."""
    return f"{repository_url}:{build_tag(stack, platform)}-cache"


def digest_reference(repository_url: str, digest: str) -> str:
    """`<repository url>@sha256:...`: what the service runs, so only a new build rolls it."""
    if not _DIGEST.fullmatch(digest):
        raise ValueError(f"not an image digest: {digest!r}")
    return f"{repository_url}@{digest}"


def digest_of(reference: str) -> str:
    """The digest of a pushed `<name>:<tag>@sha256:...` reference."""
    digest = reference.rpartition("@")[2]
    if not _DIGEST.fullmatch(digest):
        raise ValueError(f"not a reference by digest: {reference!r}")
    return digest


def registry_of(repository_url: str) -> tuple[str, str]:
    """The registry host and its account id (the ECR registry id) of a repository URL."""
    match = _ECR_URL.fullmatch(repository_url)
    if not match:
        raise ValueError(f"not an ECR repository URL: {repository_url!r}")
    return match["registry"], match["account"]


def context_problems(context: str, dockerfile: str, project: Path) -> list[tuple[str, str]]:
    """Problems with a build's paths, as (key, message): the context must be a directory
    (relative to the project) and the Dockerfile a file inside it."""
    directory = (project / context).resolve()
    if not directory.is_dir():
        return [("context", f"no directory {context!r} in the project ({project})")]
    file = (directory / dockerfile).resolve()
    if not file.is_relative_to(directory):
        return [("dockerfile", f"must be inside the build context {context!r}")]
    if not file.is_file():
        return [("dockerfile", f"no file {dockerfile!r} in the build context {context!r}")]
    return []
