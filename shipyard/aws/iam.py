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


def account_root(account: str, partition: str = "aws") -> dict[str, Any]:
    """The key-policy statement AWS puts in every default key policy: the account's IAM policies
    decide who may use and manage the key (without it, no one in the account could)."""
    return {"Sid": "EnableIamPolicies", "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
            "Action": "kms:*", "Resource": "*"}


def eks_secrets_key_policy(account: str, partition: str = "aws") -> dict[str, Any]:
    """Key policy of the EKS secrets key: AWS's default policy, stated so it is reviewed and never
    drifts. EKS works through grants that the cluster's creator makes (kms:CreateGrant via IAM)."""
    return {"Version": VERSION, "Statement": [account_root(account, partition)]}


def cloudwatch_logs_key_policy(account: str, region: str, partition: str = "aws") -> dict[str, Any]:
    """Key policy letting CloudWatch Logs in this region encrypt this account's log groups.

    Source: CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS"
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html): the
    regional `logs` service principal, the Encrypt*/Decrypt*/ReEncrypt*/GenerateDataKey*/Describe*
    actions, and an `ArnLike` condition on the `aws:logs:arn` encryption context so the key
    serves only log groups of this account and region.
    """
    return {"Version": VERSION, "Statement": [
        account_root(account, partition),
        {"Sid": "CloudWatchLogs", "Effect": "Allow",
         "Principal": {"Service": f"logs.{region}.amazonaws.com"},
         "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*",
                    "kms:ReEncrypt*"],
         "Resource": "*",
         "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                   f"arn:{partition}:logs:{region}:{account}:log-group:*"}}},
    ]}


# Elastic Load Balancing's log-delivery account per region, for regions available before August
# 2022; newer regions grant the `logdelivery.elasticloadbalancing.amazonaws.com` service principal
# instead. Source: ELB User Guide for Application Load Balancers, "Enable access logs" / "Step 2:
# Attach a policy to your S3 bucket"
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
ELB_LOG_DELIVERY_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "af-south-1": "098369216593", "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580", "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331", "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864", "ca-central-1": "985666609251",
    "eu-central-1": "054676820928", "eu-west-1": "156460612806", "eu-west-2": "652711504416",
    "eu-south-1": "635631232127", "eu-west-3": "009996457667", "eu-north-1": "897822967062",
    "me-south-1": "076674570225", "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584", "us-gov-east-1": "190560391635",
}
ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"


def elb_log_delivery_principal(region: str, partition: str = "aws") -> dict[str, str]:
    account = ELB_LOG_DELIVERY_ACCOUNTS.get(region)
    if account:
        return {"AWS": f"arn:{partition}:iam::{account}:root"}
    return {"Service": ELB_LOG_DELIVERY_SERVICE}


def alb_access_logs_bucket_policy(bucket_arn: str, prefix: str, account: str, region: str,
                                  partition: str = "aws") -> dict[str, Any]:
    """Bucket policy for ALB access logs: ELB may write under `<prefix>/AWSLogs/<account>/`, and
    nobody may use the bucket without TLS."""
    return {"Version": VERSION, "Statement": [
        {"Sid": "ElbLogDelivery", "Effect": "Allow",
         "Principal": elb_log_delivery_principal(region, partition),
         "Action": "s3:PutObject",
         "Resource": f"{bucket_arn}/{prefix}/AWSLogs/{account}/*"},
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [bucket_arn, f"{bucket_arn}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]}
