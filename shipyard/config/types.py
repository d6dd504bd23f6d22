"""The building blocks of the stack-config contract: value types with AWS's and Kubernetes' rules,
the base model, and the settings several sections share. The sections are in
:mod:`shipyard.config.schema` and, per platform, ``shipyard/platforms/<name>/spec.py``.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shipyard.aws import models as aws_models
from shipyard.platforms import NAMES as PLATFORM_NAMES
from shipyard.review.controls import CONTROL_IDS

if TYPE_CHECKING:
    from shipyard.aws.reachability import Api
    from shipyard.config.schema import StackConfig

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                      2192, 2557, 2922, 3288, 3653)

DEFAULT_VPC_CIDR = "10.0.0.0/16"
DEFAULT_AZ_COUNT = 2
DEFAULT_FLOW_LOG_RETENTION_DAYS = 90
DEFAULT_SERVICE_LOG_RETENTION_DAYS = 30
DEFAULT_KEEP_LAST_IMAGES = 30
DEFAULT_EXPIRE_UNTAGGED_DAYS = 7
DEFAULT_NODE_INSTANCE_TYPE = "t3.medium"
DEFAULT_ECS_INSTANCE_TYPE = "t3.medium"
DEFAULT_WORKLOAD_NAMESPACE = "apps"
DEFAULT_DOCKERFILE = "Dockerfile"
DEFAULT_ACCESS_LOG_EXPIRY_DAYS = 90
# CPU architectures, by their OCI / Kubernetes names (shipyard/services/architectures.py). An image
# Shipyard does not build is taken to have amd64 only unless `architectures` says more.
ARCHITECTURES = ("amd64", "arm64")
DEFAULT_ARCHITECTURES = ("amd64",)
# Other spellings of the same architectures (uname, ECS, Docker platforms).
_ARCHITECTURE_SPELLINGS = {
    "x86_64": "amd64", "x86-64": "amd64", "x64": "amd64", "linux/amd64": "amd64",
    "aarch64": "arm64", "arm64v8": "arm64", "linux/arm64": "arm64", "linux/arm64/v8": "arm64"}
# Namespaces every Kubernetes cluster already has: Shipyard would create a second Namespace object
# of the same name, which the API server refuses (and deleting it would break the cluster).
BUILT_IN_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
# Address space a VPC can't use (AWS VPC User Guide, "VPC CIDR blocks"; RFC 6890's special-purpose
# registry): "this network", loopback, link-local, multicast and the reserved class E space.
_RESERVED_VPC_SPACE = {
    "0.0.0.0/8": "'this network' space", "127.0.0.0/8": "loopback space",
    "169.254.0.0/16": "link-local space", "224.0.0.0/4": "multicast space",
    "240.0.0.0/4": "reserved space"}


def problem_check(check):
    """A validator from a function that returns why a value is invalid (or None)."""

    def validate(value: str) -> str:
        message = check(value)
        if message:
            raise ValueError(message)
        return value

    return AfterValidator(validate)


def pattern_check(pattern: str, message: str):
    compiled = re.compile(pattern)
    return problem_check(lambda value: None if compiled.fullmatch(value) else message)


@dataclass(frozen=True)
class SecretKind:
    """What a secret config value of this type holds ("pem", "kubeconfig"), in its Annotated
    metadata (pydantic ignores it), so the offline engine stands in a value of that kind
    (shipyard.config.schema.secret_kind)."""

    kind: str


Pem = Annotated[str, pattern_check(
    r"(?s)\s*-----BEGIN [A-Z0-9 ]+-----.+-----END [A-Z0-9 ]+-----\s*",
    "must be PEM text (-----BEGIN ...----- ... -----END ...-----)"), SecretKind("pem")]
Kubeconfig = Annotated[str, SecretKind("kubeconfig")]


def _ipv4_cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"must be an IPv4 CIDR block such as 10.0.0.0/16 ({error})") from None
    return str(network)


def _vpc_cidr(value: str) -> str:
    network = ipaddress.IPv4Network(_ipv4_cidr(value))
    for block, space in _RESERVED_VPC_SPACE.items():
        if network.overlaps(ipaddress.IPv4Network(block)):
            raise ValueError(f"lies in {space} ({block}), which a VPC can't use: use a private "
                             f"range such as 10.0.0.0/16")
    # /16 is the largest VPC AWS allows; /22 is the smallest from which Shipyard can carve
    # 6 private and 6 public subnets of at least /28 (see shipyard.aws.cidr).
    if not 16 <= network.prefixlen <= 22:
        raise ValueError("must have a prefix length between /16 and /22")
    return value


def _log_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(f"must be one of CloudWatch's retention periods: "
                         f"{', '.join(map(str, LOG_RETENTION_DAYS))}")
    return value


def not_built_in_namespace(value: str) -> str:
    if value in BUILT_IN_NAMESPACES:
        raise ValueError(f"'{value}' already exists on every cluster: choose a namespace of your "
                         f"own (Shipyard creates it, e.g. '{DEFAULT_WORKLOAD_NAMESPACE}')")
    return value


def s3_bucket_name_problem(name: str) -> str | None:
    """Amazon S3 general purpose bucket naming rules (S3 User Guide, "Bucket naming rules")."""
    if not 3 <= len(name) <= 63:
        return "must have 3 to 63 characters (S3 bucket naming rules)"
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name):
        return ("must be lowercase letters, digits, '.' and '-', starting and ending with a letter "
                "or digit (S3 bucket naming rules)")
    if ".." in name:
        return "must not contain two adjacent periods (S3 bucket naming rules)"
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        return "must not be formatted as an IP address (S3 bucket naming rules)"
    for prefix in ("xn--", "sthree-", "amzn-s3-demo-"):
        if name.startswith(prefix):
            return f"must not start with the reserved prefix '{prefix}' (S3 bucket naming rules)"
    for suffix in ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"):
        if name.endswith(suffix):
            return f"must not end with the reserved suffix '{suffix}' (S3 bucket naming rules)"
    return None


def iam_principal_problem(arn: str) -> str | None:
    """EKS access entries take IAM roles and users only; STS sessions are refused (botocore's
    eks model, CreateAccessEntryRequest.principalArn)."""
    session = re.fullmatch(r"arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/.+", arn)
    if session:
        partition, account, role = session.groups()
        return (f"is an STS session, which EKS access entries refuse: use the role's ARN "
                f"arn:{partition}:iam::{account}:role/{role}")
    kind = re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:([a-z-]+)/.+", arn)
    if kind and kind.group(1) in ("group", "policy"):
        return (f"is an IAM {kind.group(1)}, not a principal EKS access entries accept: use an "
                f"IAM role or user ARN")
    if not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+", arn):
        return "must be an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)"
    return None


# ELB listener rule conditions (ELB User Guide for ALBs, "Listener rules": condition types):
# path patterns up to 128 case-sensitive characters from A-Z a-z 0-9 _ - . $ / ~ " ' @ : + &
# and the wildcards * ?; host headers up to 128 characters from a-z A-Z 0-9 - _ . and * ?, with
# at least one '.' and only alphanumerics after the last one.
ALB_PATH = pattern_check(r"/[A-Za-z0-9_\-.$/~\"'@:+&*?]*", (
    "must start with '/' and use only letters, digits, _ - . $ / ~ \" ' @ : + & and the "
    "wildcards * ?, as ALB path conditions require"))
ALB_HOST = pattern_check(r"[A-Za-z0-9_\-.*?]*\.[A-Za-z0-9*?]+", (
    "must be a host name of letters, digits, - _ . and the wildcards * ?, with at least one '.' "
    "and only letters or digits after the last one, as ALB host conditions require"))


def _architecture_spelling(value: object) -> object:
    """Name the architecture Shipyard means when it is spelled another way (x86_64, ARM64)."""
    if isinstance(value, str) and value not in ARCHITECTURES:
        meant = _ARCHITECTURE_SPELLINGS.get(value.lower(), value.lower())
        if meant in ARCHITECTURES:
            raise ValueError(f"'{value}' is spelled '{meant}' here (the OCI and Kubernetes name)")
    return value


def distinct_architectures(values: list[str]) -> list[str]:
    for value in values:
        if values.count(value) > 1:
            raise ValueError(f"lists '{value}' twice")
    return values


def _control_id(value: str) -> str:
    if value not in CONTROL_IDS:
        close = difflib.get_close_matches(value, CONTROL_IDS, n=1)
        raise ValueError(f"unknown control '{value}'" + (f"; did you mean '{close[0]}'?" if close
                         else f"; known: {', '.join(CONTROL_IDS)}"))
    return value


Cidr = Annotated[str, AfterValidator(_ipv4_cidr)]
VpcCidr = Annotated[str, AfterValidator(_vpc_cidr)]
LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]
AccountId = Annotated[str, pattern_check(r"\d{12}", "must be a 12-digit AWS account id")]
RepositoryName = Annotated[str, aws_models.constrained(
    "ecr", "CreateRepositoryRequest", "repositoryName", "ECR",
    pattern_message="must be lowercase letters, digits and . _ - / (each separator between "
                    "alphanumerics), as ECR requires")]
# A DNS-1035 label: usable as a Kubernetes Service name, an ECS service name and in AWS names.
DNS_LABEL_PATTERN = pattern_check(
    r"[a-z]([-a-z0-9]*[a-z0-9])?",
    "must start with a lowercase letter and contain only lowercase letters, digits and '-' "
    "(a DNS label)")
DnsLabel = Annotated[str, Field(min_length=1, max_length=63), DNS_LABEL_PATTERN]
InstanceType = Annotated[str, aws_models.EC2_INSTANCE_TYPE]
EnvName = Annotated[str, pattern_check(r"[A-Za-z_][A-Za-z0-9_]*",
                                "must be a valid environment variable name")]
SecretArn = Annotated[str, pattern_check(
    r"arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:\d{12}:secret:.+|ssm:[a-z0-9-]+:\d{12}:parameter/.+)",
    "must be a Secrets Manager secret ARN or an SSM parameter ARN")]
IamPrincipalArn = Annotated[str, problem_check(iam_principal_problem)]
AcmCertificateArn = Annotated[str, pattern_check(
    r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/.+", "must be an ACM certificate ARN"),
    aws_models.constrained("acm", "DescribeCertificateRequest", "CertificateArn", "ACM")]
KmsKeyArn = Annotated[str, pattern_check(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/.+",
                                  "must be a KMS key ARN")]
# A lowercase DNS name of two or more labels, no trailing dot (ACM RequestCertificate's DomainName
# pattern without wildcards; Route 53 stores names in lowercase).
_DNS_NAME = r"([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?"
ZoneName = Annotated[str, Field(max_length=253), pattern_check(
    _DNS_NAME, "must be a DNS name such as example.com (lowercase, no trailing dot)")]
# ACM: "The first domain name you enter cannot exceed 64 octets, including periods"
# (RequestCertificate, DomainName); the certificate's common name is this domain.
DomainName = Annotated[str, Field(max_length=64), pattern_check(
    _DNS_NAME, "must be a DNS name such as app.example.com (lowercase, no trailing dot, no "
               "wildcard)")]
WebAclArn = Annotated[str, pattern_check(
    r"arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/[\w-]{1,128}/[0-9a-f-]{36}",
    "must be a regional AWS WAF web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/...)")]
ControlId = Annotated[str, AfterValidator(_control_id)]
NonBlank = Annotated[str, pattern_check(r"(?s).*\S.*", "must say why the stack may fail the control")]
LabelKey = Annotated[str, Field(max_length=316), pattern_check(
    r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?",
    "must be a Kubernetes label key ([prefix/]name)")]
LabelValue = Annotated[str, pattern_check(
    r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?",
    "must be a Kubernetes label value: at most 63 letters, digits, '-', '_' and '.', starting "
    "and ending with a letter or digit")]
AvailabilityZoneName = Annotated[str, pattern_check(r"[a-z]{2}(-[a-z]+)+-\d+[a-z]",
                                             "must be an availability zone name such as us-east-1a")]
Platform = Literal[PLATFORM_NAMES]  # the registry, shipyard/platforms
Architecture = Annotated[Literal["amd64", "arm64"], BeforeValidator(_architecture_spelling)]


class Model(BaseModel):
    """Base of every config model: camelCase keys, unknown keys rejected, immutable."""

    # Keys are accepted only as written in the docs (camelCase): `node_groups` is an unknown key.
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)


class PlatformSection(Model):
    """A `shipyard:<platform>` section (its platform's `spec` hook): besides its keys, what the
    shared code asks every platform, answered from the section and the whole stack config."""

    def cluster_api(self, config: StackConfig) -> Optional[Api]:
        """The cluster API `pulumi up` deploys through (shipyard/aws/reachability.py), or None:
        only AWS's public APIs, or an API Shipyard cannot check."""
        return None

    def plan_notes(self, config: StackConfig) -> list[str]:
        """Lines `plan` adds about what the platform makes of the config that the resources
        alone do not say (ECS: tasks sized up to a valid Fargate size)."""
        return []

    def interface_endpoints(self, config: StackConfig) -> tuple[str, ...]:
        """The VPC interface endpoints its compute calls when the stack has no NAT gateway
        (shipyard/aws/endpoints.py); none outside the VPC."""
        return ()


class Autoscaling(Model):
    enabled: bool = Field(True, description="Scale replicas on CPU and memory utilisation.")
    min_replicas: Optional[int] = Field(None, ge=1, le=1000, description=(
        "Lower bound. Default: each service's `replicas`."))
    max_replicas: Optional[int] = Field(None, ge=1, le=1000, description=(
        "Upper bound. Default: 3 x the lower bound."))
    target_cpu_percent: int = Field(70, ge=10, le=95, description="Target average CPU utilisation.")
    target_memory_percent: Optional[int] = Field(80, ge=10, le=95, description=(
        "Target average memory utilisation (null: scale on CPU only)."))
