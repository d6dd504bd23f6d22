"""Container image references, checked against the Docker/OCI reference grammar.

The grammar is the one `docker pull`, containerd, ECS and the kubelet all use:
github.com/distribution/reference (`reference.go`, `regexp.go`). `docker-image-py` ports that
parser to Python (`Reference.parse_normalized_named` = `ParseNormalizedNamed`); this module adds
messages a user can act on.
"""

from __future__ import annotations

import re

from docker_image.reference import InvalidReference, Reference
from docker_image.regexp import TAG

_TAG = re.compile(TAG)
DOCKER_HUB, OFFICIAL_PREFIX = "docker.io", "library/"
# The digests registries accept in practice (distribution/reference validates sha256 as 64 hex).
_SHA256 = re.compile(r"sha256:[0-9a-f]{64}")


def tag_problem(tag: str) -> str | None:
    """Why `tag` is not a valid image tag (`[\\w][\\w.-]{0,127}`), or None."""
    if not _TAG.fullmatch(tag):
        return ("must be a valid image tag: up to 128 letters, digits, '_', '.' and '-', not "
                "starting with '.' or '-'")
    return None


def image_problem(image: str) -> str | None:
    """Why `image` is not a valid image reference, or None."""
    if re.search(r"\s", image):
        return "must not contain whitespace (not a valid image reference)"
    name, at, digest = image.partition("@")
    if at and not _SHA256.fullmatch(digest):
        return "digest must be 'sha256:' followed by 64 lowercase hex digits"
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        tag = last.rsplit(":", 1)[1]
        if not tag:
            return "has an empty tag after ':'"
        problem = tag_problem(tag)
        if problem:
            return f"tag '{tag}' {problem}"
    try:
        Reference.parse_normalized_named(image)
    except InvalidReference as error:
        return f"is not a valid image reference: {error}"
    return None


def familiar_string(image: str) -> str:
    """`image` as the moby client rewrites it before it creates or updates a Swarm service
    (moby v28.5.2 client/service_create.go, imageWithTagString = FamiliarString of TagNameOnly
    of ParseNormalizedNamed): no `docker.io/` or `library/`, and `:latest` when it names neither
    a tag nor a digest. Swarm stores that form, and the Docker provider reads it back."""
    reference = Reference.parse_normalized_named(image)
    # distribution/reference normalize.go, familiarizeName (docker-image-py's `familiar` fails
    # on a reference with a digest): Docker Hub's domain dropped, and `library/` of a one-level
    # official repository
    domain, path = reference.domain(), reference.path()
    if domain != DOCKER_HUB:
        name = f"{domain}/{path}"
    elif path.startswith(OFFICIAL_PREFIX) and path.count("/") == 1:
        name = path.removeprefix(OFFICIAL_PREFIX)
    else:
        name = path
    tag, digest = reference["tag"], reference["digest"]
    if not tag and not digest:
        tag = "latest"
    return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def repository_path(image: str) -> str:
    """The repository within its registry: `acme/api` of `<registry>/acme/api:1.0`."""
    return Reference.parse_normalized_named(image).path()
