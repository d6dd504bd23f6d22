"""AWS name limits: short, deterministic names for any valid Shipyard name.

Pulumi auto-names physical resources as `<logical name>-<7 random chars>`, so a logical name
must leave 8 characters of room under the AWS limit (ALB and target group: 32, IAM role: 64).
Names that would not fit are cut and given a hash of the full name, so two long names that
share a prefix still differ, and the same name always shortens the same way.
"""

from __future__ import annotations

import hashlib

AUTONAME_SUFFIX = 8           # "-" + 7 random characters
ALB_NAME_MAX = 32             # load balancers and target groups
IAM_ROLE_NAME_MAX = 64
S3_BUCKET_NAME_MAX = 63
EKS_NODE_GROUP_NAME_MAX = 63  # CreateNodegroup: nodegroupName, 1-63 characters


def ecr_repository_url(account: str, region: str, name: str) -> str:
    """`<account>.dkr.ecr.<region>.amazonaws.com/<name>` (`.amazonaws.com.cn` in the China
    regions): the repository URL ECR returns and image references start with."""
    suffix = ".cn" if region.startswith("cn-") else ""
    return f"{account}.dkr.ecr.{region}.amazonaws.com{suffix}/{name}"


def fit(name: str, limit: int) -> str:
    """`name` if it has at most `limit` characters, else a prefix of it plus a 6-hex hash."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[:limit - 7].rstrip('-')}-{digest}"


def logical(name: str, physical_limit: int) -> str:
    """A logical name whose Pulumi auto-name stays within `physical_limit` characters."""
    return fit(name, physical_limit - AUTONAME_SUFFIX)


STACK_PLACEHOLDER = "<stack>"


def stack_neutral(text: str, project: str, stack: str) -> str:
    """`text` with the stack's own name replaced by `<stack>`, in resource names
    (`shipyard-dev-vpc`) and URNs (`urn:pulumi:dev::`), so two stacks' resources line up."""
    return (text.replace(f"{project}-{stack}", f"{project}-{STACK_PLACEHOLDER}")
            .replace(f"urn:pulumi:{stack}::", f"urn:pulumi:{STACK_PLACEHOLDER}::"))


def repository_logical_name(repository: str) -> str:
    """The Pulumi name of an ECR repository's component: `shop/api` -> `shop-api` (URNs take no
    '/'). Two repositories whose names map to one logical name would collide (config rule)."""
    return repository.replace("/", "-")


def principal_name(arn: str) -> str:
    """A short, stable name for an IAM principal in resource names: `role-<name>` or
    `user-<name>` (paths dropped), made safe for Pulumi names."""
    resource = arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    return f"{kind}-{rest.rsplit('/', 1)[-1]}".replace("+", "-").replace("=", "-").replace(
        ",", "-").replace("@", "-").replace(".", "-").lower()
