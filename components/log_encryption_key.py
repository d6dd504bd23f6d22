"""LogEncryptionKey: the customer-managed KMS key that encrypts the stack's CloudWatch log groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from shipyard import iam
from shipyard.aws_context import AwsContext


@dataclass(frozen=True)
class LogEncryptionKeyArgs:
    alias: str
    aws_context: AwsContext
    # Deleting the key makes every log event encrypted with it unreadable (KMS.3).
    protect: bool = False


class LogEncryptionKey(pulumi.ComponentResource):
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: LogEncryptionKeyArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:logs:LogEncryptionKey", name, None, opts)
        context = args.aws_context
        key = aws.kms.Key(
            f"{name}-logs", description=f"CloudWatch Logs encryption for {args.alias}",
            key_usage="ENCRYPT_DECRYPT", customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True, deletion_window_in_days=30,
            policy=iam.to_json(iam.cloudwatch_logs_key_policy(context.account_id, context.region)),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        aws.kms.Alias(f"{name}-logs", name=f"alias/{args.alias}-logs", target_key_id=key.key_id,
                      opts=pulumi.ResourceOptions(parent=self))
        self.arn = key.arn
        self.register_outputs({"arn": self.arn})
