"""The one way Shipyard makes a customer-managed KMS key: symmetric, rotated yearly by KMS,
a 30-day window to cancel its deletion, and an alias naming what it encrypts."""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_aws as aws

DELETION_WINDOW_DAYS = 30  # the longest KMS allows: time to notice and cancel a deletion


def encryption_key(name: str, *, description: str, policy: pulumi.Input[str], alias: str,
                   parent: pulumi.Resource, protect: Optional[bool] = None) -> aws.kms.Key:
    """The key `name` under `parent`, with its policy, and its alias `alias/<alias>`."""
    key = aws.kms.Key(
        name, description=description,
        key_usage="ENCRYPT_DECRYPT", customer_master_key_spec="SYMMETRIC_DEFAULT",
        enable_key_rotation=True, deletion_window_in_days=DELETION_WINDOW_DAYS,
        policy=policy, opts=pulumi.ResourceOptions(parent=parent, protect=protect))
    aws.kms.Alias(name, name=f"alias/{alias}", target_key_id=key.key_id,
                  opts=pulumi.ResourceOptions(parent=parent))
    return key
