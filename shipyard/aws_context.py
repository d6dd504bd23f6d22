"""The AWS account and region the stack deploys to, looked up once per program.

Blocking invokes pump the Pulumi event loop with every pending registration, so making them
once, before any resource exists, keeps large stacks fast (see bench/run.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi_aws as aws


@dataclass(frozen=True)
class AwsContext:
    account_id: str
    region: str
    caller_arn: str  # who runs `pulumi up` (an IAM user, or an STS assumed-role session)

    @classmethod
    def lookup(cls) -> "AwsContext":
        caller = aws.get_caller_identity()
        return cls(account_id=caller.account_id, region=aws.get_region().region,
                   caller_arn=caller.arn)
