"""IAM policy documents as plain data, so tests can parse and lint them (parliament).

Components serialise them with `json.dumps(..., sort_keys=True)` so the same inputs always give
the same text (no perpetual diff).
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable

VERSION = "2012-10-17"


def _principal_key(arn: str) -> tuple[str, str, str]:
    """(account, kind, name) of an IAM user or role ARN, or of an STS assumed-role session ARN
    (whose role it is). Paths are dropped: STS session ARNs carry none."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return ("", "", arn)
    account, resource = parts[4], parts[5]
    kind, _, rest = resource.partition("/")
    if parts[2] == "sts" and kind == "assumed-role":
        return (account, "role", rest.split("/")[0])
    return (account, kind, rest.rsplit("/", 1)[-1])


def same_principal(arn: str, other: str) -> bool:
    """Whether two ARNs name the same IAM user or role (a role and its sessions are the same)."""
    return _principal_key(arn) == _principal_key(other)


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True)


def assume_role(service: str, source_account: str | None = None) -> dict[str, Any]:
    """Trust policy letting an AWS service (e.g. `ecs-tasks.amazonaws.com`) assume the role.

    With `source_account`, only requests on behalf of that account are trusted (confused-deputy
    protection, as AWS recommends for ECS tasks and VPC flow logs).
    """
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service},
                                 "Action": "sts:AssumeRole"}
    if source_account:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return {"Version": VERSION, "Statement": [statement]}


def flow_logs_delivery(log_group_arn: str) -> dict[str, Any]:
    """What VPC Flow Logs needs to write into one log group."""
    return {"Version": VERSION, "Statement": [{
        "Sid": "WriteFlowLogs", "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
        "Resource": [log_group_arn, f"{log_group_arn}:*"],
    }]}


def ecr_cross_account_pull(account_ids: Iterable[str], partition: str = "aws") -> dict[str, Any]:
    """Repository policy letting other accounts pull (not push) images."""
    return {"Version": VERSION, "Statement": [{
        "Sid": "CrossAccountPull", "Effect": "Allow",
        "Principal": {"AWS": sorted(f"arn:{partition}:iam::{a}:root" for a in account_ids)},
        "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                   "ecr:GetDownloadUrlForLayer"],
    }]}


def secret_reference(reference: str) -> tuple[str, str | None]:
    """Split an ECS-style Secrets Manager reference into the secret's ARN and its JSON key.

    ECS accepts `arn:aws:secretsmanager:<region>:<account>:secret:<name>[:<json-key>:<stage>:<id>]`;
    IAM must name the secret itself. SSM parameter ARNs come back unchanged.
    """
    parts = reference.split(":")
    if parts[2] != "secretsmanager" or len(parts) <= 7:
        return reference, None
    return ":".join(parts[:7]), parts[7] or None


def read_secrets(secret_arns: Iterable[str]) -> dict[str, Any]:
    """Read access to exactly these Secrets Manager secrets and SSM parameters."""
    arns = sorted({secret_reference(arn)[0] for arn in secret_arns})
    statements = []
    secrets_manager = [a for a in arns if ":secretsmanager:" in a]
    parameters = [a for a in arns if ":ssm:" in a]
    if secrets_manager:
        statements.append({"Sid": "ReadSecrets", "Effect": "Allow",
                           "Action": ["secretsmanager:GetSecretValue"],
                           "Resource": secrets_manager})
    if parameters:
        statements.append({"Sid": "ReadParameters", "Effect": "Allow",
                           "Action": ["ssm:GetParameters"], "Resource": parameters})
    return {"Version": VERSION, "Statement": statements}


def ecs_exec() -> dict[str, Any]:
    """The SSM Session Manager channel ECS Exec needs in the task role."""
    return {"Version": VERSION, "Statement": [{
        "Sid": "EcsExec", "Effect": "Allow",
        "Action": ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                   "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"],
        "Resource": "*",
    }]}


# GitHub Actions' OIDC issuer, and the audience aws-actions/configure-aws-credentials requests.
# (GitHub docs, "Configuring OpenID Connect in Amazon Web Services".)
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
_GITHUB_REPOSITORY = re.compile(r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+")


def github_oidc_provider_arn(account_id: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}"


def github_actions_trust(account_id: str, repository: str, *, environments: Iterable[str] = (),
                         branches: Iterable[str] = (), pull_requests: bool = False,
                         partition: str = "aws") -> dict[str, Any]:
    """Trust policy letting GitHub Actions jobs of one repository assume a role through OIDC —
    only jobs that run in one of `environments` (the deploy jobs), jobs without an environment
    on one of `branches`, or, with `pull_requests`, jobs of pull-request workflows (the
    previews). The `sub` claim is matched exactly, never with wildcards, so no other
    repository, branch or environment qualifies (GitHub docs, "About security hardening with
    OpenID Connect": example subject claims)."""
    if not _GITHUB_REPOSITORY.fullmatch(repository):
        raise ValueError(f"not a GitHub repository (owner/name): {repository!r}")
    subjects = [f"repo:{repository}:environment:{name}" for name in sorted(set(environments))]
    subjects += [f"repo:{repository}:ref:refs/heads/{name}" for name in sorted(set(branches))]
    if pull_requests:
        subjects.append(f"repo:{repository}:pull_request")
    if not subjects:
        raise ValueError("trust at least one environment, branch or pull requests")
    return {"Version": VERSION, "Statement": [{
        "Sid": "GitHubActions", "Effect": "Allow",
        "Principal": {"Federated": github_oidc_provider_arn(account_id, partition)},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": GITHUB_OIDC_AUDIENCE,
                                       f"{GITHUB_OIDC_HOST}:sub": subjects}},
    }]}


def ecr_build_push(repository_arns: Iterable[str]) -> dict[str, Any]:
    """What a BuildKit build needs to push images and its cache to these repositories (and
    pull cached layers back). `GetAuthorizationToken` has no resource-level permissions."""
    return {"Version": VERSION, "Statement": [
        {"Sid": "RegistryLogin", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"],
         "Resource": "*"},
        {"Sid": "PushAndPull", "Effect": "Allow",
         "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                    "ecr:CompleteLayerUpload", "ecr:GetDownloadUrlForLayer",
                    "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"],
         "Resource": sorted(repository_arns)},
    ]}
