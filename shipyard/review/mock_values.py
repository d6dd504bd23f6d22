"""What AWS would assign, made up offline: the account, ids, digests, UUIDs, zones, kubeconfigs.

Everything is derived from a resource's type and name with a hash, never from randomness or the
clock, so two runs of the same stack record identical values. The per-type computed outputs that
use these live in each type's facts row (`ResourceFacts.outputs`); `shipyard.review.mocks` answers the
engine with them.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipyard import PROJECT_ROOT

ACCOUNT_ID = "123456789012"
# Canonical hosted zones of load balancers in us-east-1, for alias records ("Elastic Load
# Balancing endpoints and quotas" in the AWS General Reference).
ALB_ZONE_ID = "Z35SXDOTRQ7X7K"
NLB_ZONE_ID = "Z26RNL4JYFTOTI"


def digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def uuid(seed: str) -> str:
    text = digest(seed, length=32)
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@dataclass(frozen=True)
class MockCall:
    """What a row's mock outputs are computed from: one resource the program registers."""

    type: str
    logical_name: str
    name: str                 # its physical name: the `name` input, or Pulumi's auto-name
    resource_id: str          # the id the mocks answer
    digest: str               # a hash of its type and stack-neutral logical name
    inputs: dict[str, Any]
    region: str


def kubeconfig(cluster_name: str, endpoint: str) -> dict[str, Any]:
    """A kubeconfig for an EKS cluster, shaped as `aws eks update-kubeconfig` writes it."""
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": "aws",
        "clusters": [{"name": "kubernetes", "cluster": {
            "server": endpoint, "certificate-authority-data": "LS0tLS1CRUdJTi1DRVJUSUZJQ0FURS0tLS0t"}}],
        "contexts": [{"name": "aws", "context": {"cluster": "kubernetes", "user": "aws"}}],
        "users": [{"name": "aws", "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--output", "json"]}}}],
    }


def _dockerignored(relative: str, patterns: list[str]) -> bool:
    """Whether `.dockerignore` patterns (without `!` exceptions) exclude a context path."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatchcase(prefix, pattern) or fnmatch.fnmatchcase(
        prefix.rsplit("/", 1)[-1], pattern.removeprefix("**/"))
        for pattern in patterns for prefix in prefixes)


def image_digest(inputs: dict[str, Any], root: Path = PROJECT_ROOT) -> str:
    """What BuildKit would push: a digest of the build's definition and of the files its
    context sends (less `.dockerignore`d ones), so a code change gives a new digest and an
    unchanged build the same one."""
    content = hashlib.sha256(json.dumps(
        {key: inputs.get(key) for key in ("dockerfile", "buildArgs", "target", "platforms")},
        sort_keys=True).encode())
    context = root / inputs["context"]["location"]
    ignore_file = context / ".dockerignore"
    ignored = [line.strip().strip("/") for line in (
        ignore_file.read_text().splitlines() if ignore_file.exists() else [])
        if line.strip() and not line.startswith(("#", "!"))]
    for file in sorted(p for p in context.rglob("*") if p.is_file()):
        relative = file.relative_to(context).as_posix()
        if not _dockerignored(relative, ignored):
            content.update(relative.encode() + b"\0" + file.read_bytes())
    return f"sha256:{content.hexdigest()}"
