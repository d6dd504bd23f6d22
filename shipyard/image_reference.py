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
