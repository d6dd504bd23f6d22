"""EKS controls (Security Hub EKS.1-3, EKS.8).

Offline plans see the pulumi-eks component (`eks:index:Cluster`, its inputs); a real preview
also sees the `aws:eks/cluster:Cluster` it creates. Both are checked, each with its own keys.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from shipyard.platforms.eks.versions import SUPPORTED_EKS_VERSIONS
from shipyard.review.controls.base import (
    Control,
    Finding,
    Resource,
    get,
    items,
    of_type,
    verdict,
)

PULUMI_EKS_CLUSTER = "eks:index:Cluster"
AWS_EKS_CLUSTER = "aws:eks/cluster:Cluster"
WORLD = ("0.0.0.0/0", "::/0")


def _clusters(resources: Sequence[Resource]) -> list[Resource]:
    return of_type(resources, PULUMI_EKS_CLUSTER, AWS_EKS_CLUSTER)


def _endpoint(cluster: Resource) -> tuple[bool, bool, list[str]]:
    """(public, private, public CIDRs), with each API's defaults: public on, private off."""
    settings: Mapping[str, Any] = (cluster.inputs if cluster.type == PULUMI_EKS_CLUSTER
                                   else get(cluster.inputs, "vpcConfig", {}))
    public = settings.get("endpointPublicAccess", True) is not False
    private = settings.get("endpointPrivateAccess", False) is True
    return public, private, list(items(settings.get("publicAccessCidrs")))


def private_endpoint(resources: Sequence[Resource]) -> Iterator[Finding]:
    for cluster in _clusters(resources):
        public, private, cidrs = _endpoint(cluster)
        if not public:
            yield verdict(cluster, True, "private endpoint only", "")
            continue
        restricted = bool(cidrs) and not any(c in WORLD for c in cidrs)
        yield verdict(cluster, restricted and private,
                      f"public endpoint limited to {', '.join(cidrs)}, private access on",
                      "public endpoint open to " + (", ".join(cidrs) if cidrs else "the internet")
                      + ("" if private else " without private access"))


def supported_version(resources: Sequence[Resource]) -> Iterator[Finding]:
    for cluster in _clusters(resources):
        version = cluster.inputs.get("version")
        yield verdict(cluster, version is None or version in SUPPORTED_EKS_VERSIONS,
                      f"Kubernetes {version or 'default'} is supported",
                      f"Kubernetes {version} is not an EKS-supported version")


def secrets_encrypted(resources: Sequence[Resource]) -> Iterator[Finding]:
    for cluster in _clusters(resources):
        if cluster.type == PULUMI_EKS_CLUSTER:
            encrypted = bool(cluster.inputs.get("encryptionConfigKeyArn"))
        else:
            encrypted = any("secrets" in items(c.get("resources")) and get(c, "provider.keyArn")
                            for c in items(cluster.inputs.get("encryptionConfig")))
        yield verdict(cluster, encrypted, "secrets envelope-encrypted with a KMS key",
                      "Kubernetes secrets are not encrypted with a KMS key")


def audit_logs(resources: Sequence[Resource]) -> Iterator[Finding]:
    for cluster in _clusters(resources):
        types = items(cluster.inputs.get("enabledClusterLogTypes"))
        yield verdict(cluster, "audit" in types, "audit logs on", "audit logging is off")


CONTROLS = (
    Control("EKS.1", "EKS endpoints are private (or public to listed CIDRs with private access)",
            private_endpoint),
    Control("EKS.2", "EKS clusters run a supported Kubernetes version", supported_version),
    Control("EKS.3", "EKS secrets are envelope-encrypted with KMS", secrets_encrypted),
    Control("EKS.8", "EKS clusters have audit logging", audit_logs),
)
