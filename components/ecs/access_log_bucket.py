"""AccessLogBucket: the S3 bucket an ALB writes its access logs to (Security Hub ELB.5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from shipyard.aws import iam
from shipyard.aws.context import AwsContext
from shipyard.aws.naming import S3_BUCKET_NAME_MAX, logical

NONCURRENT_VERSION_DAYS = 7
INCOMPLETE_UPLOAD_DAYS = 7


@dataclass(frozen=True)
class AccessLogBucketArgs:
    prefix: str                 # the key prefix the load balancer writes under
    expire_after_days: int
    aws_context: AwsContext
    # Production: the bucket is protected and `pulumi destroy` never empties it.
    protect: bool = False


class AccessLogBucket(pulumi.ComponentResource):
    """Private (public access blocked, ACLs disabled), TLS-only, versioned, SSE-S3-encrypted —
    ALB access logs support only S3-managed keys, not SSE-KMS (ELB User Guide, "Enable access
    logs": bucket requirements) — with log files expiring after `expire_after_days`."""

    bucket: pulumi.Output[str]
    # The load balancer must wait for it: ELB checks that it may write when logging is enabled.
    policy: aws.s3.BucketPolicy

    def __init__(self, name: str, args: AccessLogBucketArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:loadbalancer:AccessLogBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Auto-named (+ 8 characters) within S3's 63 (shipyard/aws/names.py).
        bucket = aws.s3.Bucket(logical(name, S3_BUCKET_NAME_MAX), force_destroy=not args.protect,
                               opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        aws.s3.BucketOwnershipControls(
            name, bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child)
        public_access = aws.s3.BucketPublicAccessBlock(
            name, bucket=bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=child)
        aws.s3.BucketServerSideEncryptionConfiguration(
            name, bucket=bucket.id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"))],
            opts=child)
        aws.s3.BucketVersioning(
            name, bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"),
            opts=child)
        aws.s3.BucketLifecycleConfiguration(
            name, bucket=bucket.id,
            rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-access-logs", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=f"{args.prefix}/"),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                    days=args.expire_after_days),
                noncurrent_version_expiration=aws.s3.
                BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=NONCURRENT_VERSION_DAYS)),
                # Bucket-wide: abandoned multipart uploads are billed wherever they are.
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="abort-incomplete-uploads", status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
                    abort_incomplete_multipart_upload=aws.s3.
                    BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=INCOMPLETE_UPLOAD_DAYS))],
            opts=child)
        context = args.aws_context
        self.policy = aws.s3.BucketPolicy(
            name, bucket=bucket.id,
            policy=bucket.arn.apply(lambda arn: iam.to_json(iam.alb_access_logs_bucket_policy(
                arn, args.prefix, context.account_id, context.region))),
            # S3 refuses bucket policies while a new bucket's public access block is pending.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]))
        self.bucket = bucket.bucket
        self.register_outputs({"bucket": self.bucket})
