"""IAM policy documents as plain data, so tests can parse and lint them (parliament).

Components serialise them with `json.dumps(..., sort_keys=True)` so the same inputs always give
the same text (no perpetual diff).
"""

from __future__ import annotations

import json
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
