"""EcrRepository: an image repository with scanning, tag immutability and a lifecycle policy;
or, in a stack that only uses repositories another stack owns, the URL of an existing one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from shipyard.aws import iam
from shipyard.aws.ecr_lifecycle import lifecycle_policy
from shipyard.config.schema import Repository


@dataclass(frozen=True)
class EcrRepositoryArgs:
    settings: Repository
    # Production stacks protect repositories: deleting one deletes every image in it.
    protect: bool = False
    # Tag patterns that stay movable in an IMMUTABLE repository (Shipyard's build tags).
    mutable_tag_filters: tuple[str, ...] = ()


class EcrRepository(pulumi.ComponentResource):
    repository_url: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: EcrRepositoryArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:ecr:EcrRepository", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        # IMMUTABLE_WITH_EXCLUSION: every tag immutable except those matching a WILDCARD filter
        # (ECR API reference, ImageTagMutabilityExclusionFilter).
        excluded = settings.image_tag_mutability == "IMMUTABLE" and args.mutable_tag_filters
        repository = aws.ecr.Repository(
            name, name=settings.name,
            image_tag_mutability="IMMUTABLE_WITH_EXCLUSION" if excluded else settings.image_tag_mutability,
            image_tag_mutability_exclusion_filters=[
                aws.ecr.RepositoryImageTagMutabilityExclusionFilterArgs(filter=f, filter_type="WILDCARD")
                for f in args.mutable_tag_filters] if excluded else None,
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=settings.scan_on_push),
            # AES256 is what AWS applies when unset; stating it keeps previews diff-free. ECR
            # cannot change encryption in place: a different setting replaces the repository.
            encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(
                encryption_type="KMS", kms_key=settings.kms_key_arn) if settings.kms_key_arn
                else aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")],
            force_delete=settings.force_delete,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle", repository=repository.name,
            policy=lifecycle_policy(settings.keep_last_images, settings.expire_untagged_after_days),
            # A changed policy replaces it (no update in terraform-provider-aws
            # internal/service/ecr/lifecycle_policy.go); the old one's delete clears the
            # repository's policy, so it goes first.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                delete_before_replace=True)))
        if settings.pull_account_ids:
            aws.ecr.RepositoryPolicy(
                f"{name}-pull", repository=repository.name,
                policy=iam.to_json(iam.ecr_cross_account_pull(settings.pull_account_ids)),
                opts=child)
        self.repository_url = repository.repository_url
        self.arn = repository.arn
        self.register_outputs({"repositoryUrl": self.repository_url, "arn": self.arn})


def existing_repository_url(name: str) -> pulumi.Output[str]:
    """The URL of a repository another stack owns (`shipyard:ecr.mode: use`): a lookup, so this
    stack never creates, changes or deletes it."""
    return aws.ecr.get_repository_output(name=name).repository_url
