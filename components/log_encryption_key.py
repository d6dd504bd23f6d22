"""LogEncryptionKey: the customer-managed KMS key that encrypts the stack's CloudWatch log groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from shipyard.aws import iam
from shipyard.aws.context import AwsContext
from shipyard.aws.kms import encryption_key


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
        key = encryption_key(
            f"{name}-logs", description=f"CloudWatch Logs encryption for {args.alias}",
            policy=iam.to_json(iam.cloudwatch_logs_key_policy(context.account_id, context.region)),
            alias=f"{args.alias}-logs", parent=self, protect=args.protect)
        self.arn = key.arn
        self.register_outputs({"arn": self.arn})
