"""KMS controls (Security Hub KMS.3, KMS.4)."""

from __future__ import annotations

from typing import Iterator, Sequence

from shipyard.review.controls.base import Control, Finding, Resource, of_type, verdict

KEY = "aws:kms/key:Key"


def protected(resources: Sequence[Resource]) -> Iterator[Finding]:
    # A destroy or replacement would schedule the key for deletion and, after the waiting
    # period, make everything encrypted with it unreadable.
    for key in of_type(resources, KEY):
        yield verdict(key, key.protect, "protected from deletion",
                      "not protected (`pulumi destroy` would schedule its deletion)")


def rotation(resources: Sequence[Resource]) -> Iterator[Finding]:
    for key in of_type(resources, KEY):
        spec = (key.inputs.get("customerMasterKeySpec") or key.inputs.get("keySpec")
                or "SYMMETRIC_DEFAULT")
        if spec != "SYMMETRIC_DEFAULT":
            continue  # KMS rotates only symmetric encryption keys
        yield verdict(key, key.inputs.get("enableKeyRotation") is True, "automatic rotation on",
                      "key rotation is off")


CONTROLS = (
    Control("KMS.3", "KMS keys are protected from unintended deletion", protected),
    Control("KMS.4", "KMS keys rotate automatically", rotation),
)
