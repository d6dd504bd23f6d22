"""ECR lifecycle policy documents (ECR's lifecycle policy JSON syntax)."""

from __future__ import annotations

import json


def lifecycle_policy(keep_last_images: int, expire_untagged_after_days: int) -> str:
    """Expire untagged images after N days, then keep only the newest M images of any kind.

    ECR evaluates rules by ascending priority; a `tagStatus: any` rule must have the highest
    priority number, so it comes last.
    """
    rules = [
        {"rulePriority": 1,
         "description": f"Expire untagged images after {expire_untagged_after_days} days",
         "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                       "countUnit": "days", "countNumber": expire_untagged_after_days},
         "action": {"type": "expire"}},
        {"rulePriority": 2,
         "description": f"Keep the last {keep_last_images} images",
         "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                       "countNumber": keep_last_images},
         "action": {"type": "expire"}},
    ]
    return json.dumps({"rules": rules}, sort_keys=True)
