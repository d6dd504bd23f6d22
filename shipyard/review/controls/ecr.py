"""ECR controls (Security Hub ECR.1-3)."""

from __future__ import annotations

from typing import Iterator, Sequence

from shipyard.review.controls.base import (
    Control,
    Finding,
    Resource,
    dependents,
    get,
    is_true,
    of_type,
    verdict,
)

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
REGISTRY_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"


def scan_on_push(resources: Sequence[Resource]) -> Iterator[Finding]:
    registry_scans = any(rule.get("scanFrequency") in ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")
                         for config in of_type(resources, REGISTRY_SCANNING)
                         for rule in config.inputs.get("rules") or [])
    for repository in of_type(resources, REPOSITORY):
        on_push = is_true(get(repository.inputs, "imageScanningConfiguration.scanOnPush"))
        yield verdict(repository, on_push or registry_scans,
                      "scans images on push" if on_push else "registry-level scanning",
                      "image scanning on push is off (scanOnPush: false)")


def immutable_tags(resources: Sequence[Resource]) -> Iterator[Finding]:
    for repository in of_type(resources, REPOSITORY):
        mutability = repository.inputs.get("imageTagMutability", "MUTABLE")
        yield verdict(repository, mutability.startswith("IMMUTABLE"), "tags are immutable",
                      f"imageTagMutability is {mutability}")


def lifecycle_policy(resources: Sequence[Resource]) -> Iterator[Finding]:
    policies = of_type(resources, LIFECYCLE_POLICY)
    for repository in of_type(resources, REPOSITORY):
        name = repository.inputs.get("name")
        has_policy = bool(dependents(resources, repository, LIFECYCLE_POLICY)) or any(
            name is not None and p.inputs.get("repository") == name for p in policies)
        yield verdict(repository, has_policy, "has a lifecycle policy", "no lifecycle policy")


CONTROLS = (
    Control("ECR.1", "ECR repositories scan images on push", scan_on_push),
    Control("ECR.2", "ECR repositories have immutable tags", immutable_tags),
    Control("ECR.3", "ECR repositories have a lifecycle policy", lifecycle_policy),
)
