"""The stack-config contract: every `shipyard:` key, its type, default and meaning, in one place.

Keys are camelCase as Pulumi users write them (`pulumi config set --path shipyard:ecs.enabled true`).
The README's configuration table is generated from these models (`python -m shipyard docs`), so a
default or a description is written once, here. Checks that span several keys live in
:mod:`shipyard.config.rules`.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shipyard import aws_models
from shipyard.controls import CONTROL_IDS
from shipyard.eks_nodes import TaintEffect
from shipyard.eks_versions import DEFAULT_EKS_VERSION, SUPPORTED_EKS_VERSIONS
from shipyard.image_reference import image_problem, tag_problem

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
# CPU architectures, by their OCI / Kubernetes names (shipyard/architectures.py). An image
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


def _valid(check):
    """A validator from a function that returns why a value is invalid (or None)."""

    def validate(value: str) -> str:
        message = check(value)
        if message:
            raise ValueError(message)
        return value

    return AfterValidator(validate)


def _check(pattern: str, message: str):
    compiled = re.compile(pattern)
    return _valid(lambda value: None if compiled.fullmatch(value) else message)


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
    # 6 private and 6 public subnets of at least /28 (see shipyard.cidr).
    if not 16 <= network.prefixlen <= 22:
        raise ValueError("must have a prefix length between /16 and /22")
    return value


def _log_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(f"must be one of CloudWatch's retention periods: "
                         f"{', '.join(map(str, LOG_RETENTION_DAYS))}")
    return value


def _not_built_in_namespace(value: str) -> str:
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
ALB_PATH = _check(r"/[A-Za-z0-9_\-.$/~\"'@:+&*?]*", (
    "must start with '/' and use only letters, digits, _ - . $ / ~ \" ' @ : + & and the "
    "wildcards * ?, as ALB path conditions require"))
ALB_HOST = _check(r"[A-Za-z0-9_\-.*?]*\.[A-Za-z0-9*?]+", (
    "must be a host name of letters, digits, - _ . and the wildcards * ?, with at least one '.' "
    "and only letters or digits after the last one, as ALB host conditions require"))


def _architecture_spelling(value: object) -> object:
    """Name the architecture Shipyard means when it is spelled another way (x86_64, ARM64)."""
    if isinstance(value, str) and value not in ARCHITECTURES:
        meant = _ARCHITECTURE_SPELLINGS.get(value.lower(), value.lower())
        if meant in ARCHITECTURES:
            raise ValueError(f"'{value}' is spelled '{meant}' here (the OCI and Kubernetes name)")
    return value


def _distinct_architectures(values: list[str]) -> list[str]:
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


def _eks_version(value: str) -> str:
    if value not in SUPPORTED_EKS_VERSIONS:
        raise ValueError(f"Kubernetes {value} is not supported by EKS; supported: "
                         f"{', '.join(SUPPORTED_EKS_VERSIONS)}")
    return value


Cidr = Annotated[str, AfterValidator(_ipv4_cidr)]
VpcCidr = Annotated[str, AfterValidator(_vpc_cidr)]
LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]
EksVersion = Annotated[str, AfterValidator(_eks_version)]
AccountId = Annotated[str, _check(r"\d{12}", "must be a 12-digit AWS account id")]
RepositoryName = Annotated[str, aws_models.constrained(
    "ecr", "CreateRepositoryRequest", "repositoryName", "ECR",
    pattern_message="must be lowercase letters, digits and . _ - / (each separator between "
                    "alphanumerics), as ECR requires")]
# A DNS-1035 label: usable as a Kubernetes Service name, an ECS service name and in AWS names.
_DNS_LABEL = _check(
    r"[a-z]([-a-z0-9]*[a-z0-9])?",
    "must start with a lowercase letter and contain only lowercase letters, digits and '-' "
    "(a DNS label)")
DnsLabel = Annotated[str, Field(min_length=1, max_length=63), _DNS_LABEL]
InstanceType = Annotated[str, aws_models.EC2_INSTANCE_TYPE]
EnvName = Annotated[str, _check(r"[A-Za-z_][A-Za-z0-9_]*",
                                "must be a valid environment variable name")]
SecretArn = Annotated[str, _check(
    r"arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:\d{12}:secret:.+|ssm:[a-z0-9-]+:\d{12}:parameter/.+)",
    "must be a Secrets Manager secret ARN or an SSM parameter ARN")]
IamPrincipalArn = Annotated[str, _valid(iam_principal_problem)]
AcmCertificateArn = Annotated[str, _check(
    r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/.+", "must be an ACM certificate ARN"),
    aws_models.constrained("acm", "DescribeCertificateRequest", "CertificateArn", "ACM")]
KmsKeyArn = Annotated[str, _check(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/.+",
                                  "must be a KMS key ARN")]
# A lowercase DNS name of two or more labels, no trailing dot (ACM RequestCertificate's DomainName
# pattern without wildcards; Route 53 stores names in lowercase).
_DNS_NAME = r"([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?"
ZoneName = Annotated[str, Field(max_length=253), _check(
    _DNS_NAME, "must be a DNS name such as example.com (lowercase, no trailing dot)")]
# ACM: "The first domain name you enter cannot exceed 64 octets, including periods"
# (RequestCertificate, DomainName); the certificate's common name is this domain.
DomainName = Annotated[str, Field(max_length=64), _check(
    _DNS_NAME, "must be a DNS name such as app.example.com (lowercase, no trailing dot, no "
               "wildcard)")]
WebAclArn = Annotated[str, _check(
    r"arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/[\w-]{1,128}/[0-9a-f-]{36}",
    "must be a regional AWS WAF web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/...)")]
ControlId = Annotated[str, AfterValidator(_control_id)]
NonBlank = Annotated[str, _check(r"(?s).*\S.*", "must say why the stack may fail the control")]
LabelKey = Annotated[str, Field(max_length=316), _check(
    r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?",
    "must be a Kubernetes label key ([prefix/]name)")]
LabelValue = Annotated[str, _check(
    r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?",
    "must be a Kubernetes label value: at most 63 letters, digits, '-', '_' and '.', starting "
    "and ending with a letter or digit")]
AvailabilityZoneName = Annotated[str, _check(r"[a-z]{2}(-[a-z]+)+-\d+[a-z]",
                                             "must be an availability zone name such as us-east-1a")]
Platform = Literal["ecs", "eks", "kubernetes"]
Architecture = Annotated[Literal["amd64", "arm64"], BeforeValidator(_architecture_spelling)]


class Model(BaseModel):
    """Base of every config model: camelCase keys, unknown keys rejected, immutable."""

    # Keys are accepted only as written in the docs (camelCase): `node_groups` is an unknown key.
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)


class Network(Model):
    cidr_block: VpcCidr = Field(DEFAULT_VPC_CIDR, description=(
        "IPv4 CIDR of the new VPC (/16 to /22). Each AZ gets a private subnet of 1/8 of it and a "
        "public subnet of 1/64 of it."))
    availability_zones: int = Field(DEFAULT_AZ_COUNT, ge=2, le=6, description=(
        "How many availability zones the VPC spans: the region's first N by zone ID, skipping "
        "zones where EKS or Fargate cannot run (shipyard/zones.py), so every account gets the "
        "same physical zones."))
    availability_zone_names: Optional[list[AvailabilityZoneName]] = Field(
        None, min_length=2, max_length=6, description=(
        "Use exactly these zones, by name, instead of choosing by zone ID (names map to "
        "different physical zones in each account)."))
    nat_gateways: Literal["none", "single", "perAz"] = Field("single", description=(
        "NAT gateways for private-subnet egress: `none`, `single` (one, cheapest) or `perAz` "
        "(one per AZ, survives an AZ outage)."))
    vpc_endpoints: bool = Field(False, description=(
        "Create an S3 gateway endpoint and the interface endpoints the stack's compute calls "
        "(ECR, Logs, secrets; ECS agent and SSM on EC2 capacity; EC2, STS, EKS, EKS auth for "
        "EKS; see shipyard/endpoints.py) so private subnets reach AWS without NAT."))
    flow_log_retention_days: LogRetentionDays = Field(DEFAULT_FLOW_LOG_RETENTION_DAYS, description=(
        "Retention of the VPC flow log group (a CloudWatch retention period)."))
    vpc_id: Optional[Annotated[str, _check(r"vpc-[0-9a-f]{8,17}", "must be a VPC id (vpc-...)")]] = (
        Field(None, description=(
            "Use this existing VPC instead of creating one (with `publicSubnetIds` and "
            "`privateSubnetIds`). Shipyard then creates no network resources.")))
    public_subnet_ids: Optional[list[Annotated[str, _check(
        r"subnet-[0-9a-f]{8,17}", "must be a subnet id (subnet-...)")]]] = Field(None, description=(
            "Existing VPC only: its public subnets (for internet-facing load balancers)."))
    private_subnet_ids: Optional[list[Annotated[str, _check(
        r"subnet-[0-9a-f]{8,17}", "must be a subnet id (subnet-...)")]]] = Field(None, description=(
            "Existing VPC only: its private subnets, which must already have egress."))

    @property
    def existing(self) -> bool:
        return self.vpc_id is not None

    @property
    def zone_count(self) -> int:
        return len(self.availability_zone_names or ()) or self.availability_zones


class Repository(Model):
    name: RepositoryName = Field(description="Repository name, e.g. `team/api`.")
    image_tag_mutability: Literal["IMMUTABLE", "MUTABLE"] = Field("IMMUTABLE", description=(
        "`IMMUTABLE` stops a pushed tag from being overwritten (Security Hub ECR.2)."))
    scan_on_push: bool = Field(True, description="Scan each pushed image for vulnerabilities.")
    keep_last_images: int = Field(DEFAULT_KEEP_LAST_IMAGES, ge=1, le=10000, description=(
        "Lifecycle rule: keep only the newest N images."))
    expire_untagged_after_days: int = Field(DEFAULT_EXPIRE_UNTAGGED_DAYS, ge=1, le=3650,
                                            description="Lifecycle rule: delete untagged images "
                                                        "older than N days.")
    force_delete: bool = Field(False, description=(
        "Allow `pulumi destroy` to delete the repository while it still holds images."))
    pull_account_ids: list[AccountId] = Field([], description=(
        "Other AWS accounts allowed to pull images (a repository policy is added only if set)."))
    kms_key_arn: Optional[KmsKeyArn] = Field(None, description=(
        "Encrypt images with this KMS key instead of AES256. ECR cannot change a repository's "
        "encryption: setting, changing or removing it later replaces the repository (its images "
        "are deleted), so choose before the first push."))
    built_elsewhere: bool = Field(False, description=(
        "Stacks that use this repository (`shipyard:ecr.mode: use`) build into it: let their "
        "`shipyard-*` build and cache tags move (IMMUTABLE_WITH_EXCLUSION), as builds in the "
        "owning stack do."))


class Ecr(Model):
    mode: Literal["create", "use"] = Field("create", description=(
        "`create`: this stack creates and owns the repositories. `use`: another stack in the "
        "same account and region owns them (repositories are account-wide and images move "
        "between environments); this stack looks them up by name and creates none."))
    repositories: list[Repository] = Field([], description=(
        "ECR repositories this stack creates (`mode: create`) or uses (`mode: use`)."))


class Build(Model):
    context: str = Field(min_length=1, description=(
        "Build context: a directory relative to the project (where Pulumi.yaml is)."))
    dockerfile: str = Field(DEFAULT_DOCKERFILE, min_length=1, description=(
        "Dockerfile path relative to `context` (and inside it)."))
    args: dict[EnvName, str] = Field({}, description=(
        "Build arguments (`ARG`); they stay in the image's history, so no secrets here."))
    target: Optional[Annotated[str, _check(
        r"[A-Za-z0-9][A-Za-z0-9_.-]*", "must be a Dockerfile stage name")]] = Field(
            None, description="Stage of a multi-stage Dockerfile to build. Default: the last.")


class Service(Model):
    name: DnsLabel = Field(description=(
        "Service name: a DNS label (lowercase, digits, '-'; at most 63 characters)."))
    image: Optional[Annotated[str, _valid(image_problem)]] = Field(None, min_length=1, description=(
        "Container image with a fixed tag or digest (not `latest`). Or use `repository` + `tag`, "
        "or `build`."))
    repository: Optional[str] = Field(None, description=(
        "Name of a repository declared in `shipyard:ecr`: the image is its URL plus `tag`, or "
        "where `build` pushes."))
    tag: Optional[Annotated[str, _valid(tag_problem)]] = Field(None, description=(
        "Image tag in `repository` (required with it unless `build` is set; not `latest`)."))
    build: Optional[Build] = Field(None, description=(
        "Build the image from a Dockerfile during `pulumi up`, push it to `repository` and run it "
        "by digest."))
    architectures: Optional[Annotated[list[Architecture], Field(min_length=1),
                                      AfterValidator(_distinct_architectures)]] = (
        Field(None, description=(
            "CPU architectures the image has (`amd64`, `arm64`), for an `image` or `repository` + "
            "`tag` that Shipyard does not build. Default: `[amd64]`. Kubernetes pods are kept to "
            "nodes of these architectures (`kubernetes.io/arch`) when the cluster has others; an "
            "ECS task runs the first one listed that its capacity runs. A platform whose capacity "
            "runs none of them is a config error. Not used with `build`: a build "
            "covers every architecture the service's capacity runs.")))
    port: int = Field(8080, ge=1, le=65535, description="Port the container listens on.")
    cpu: float = Field(0.25, gt=0, le=192, description=(
        "vCPUs per replica, e.g. 0.25. ECS rounds up to the smallest valid Fargate size."))
    memory: int = Field(512, ge=128, le=1572864, description="Memory per replica, in MiB.")
    replicas: int = Field(2, ge=1, le=1000, description=(
        "Replicas to run (the autoscaling minimum unless `autoscaling.minReplicas` is set)."))
    env: dict[EnvName, str] = Field({}, description="Plain environment variables (no secrets here).")
    secrets: dict[EnvName, SecretArn] = Field({}, description=(
        "Environment variables filled from Secrets Manager or SSM parameter ARNs."))
    health_check_path: Annotated[str, _check(r"/\S*", "must start with '/' and contain no spaces")] = (
        Field("/", max_length=1024, description=(
            "HTTP path that answers 200 when the service is healthy.")))
    public: bool = Field(False, description=(
        "Reachable from the internet (behind the shared ALB on ECS, a LoadBalancer Service on "
        "Kubernetes)."))
    host: Optional[Annotated[str, ALB_HOST]] = Field(None, max_length=128, description=(
        "ECS public services: route requests for this host name to the service."))
    path: Annotated[str, ALB_PATH] = Field("/*", max_length=128, description=(
        "ECS public services: route requests matching this ALB path pattern to the service."))
    priority: Optional[int] = Field(None, ge=1, le=50000, description=(
        "ECS public services: the ALB listener rule priority (lower is evaluated first). "
        "Default: derived from `host` and `path` (shipyard/routing.py), so it never changes "
        "when other services come or go."))
    run_on: Optional[list[Platform]] = Field(None, min_length=1, description=(
        "Where the service runs: any of `ecs`, `eks`, `kubernetes`. Default: every compute "
        "platform the stack enables."))
    calls: list[DnsLabel] = Field([], description=(
        "Services this one calls, by name, at `http://<name>:<port>`. Only these callers get "
        "through to a service (security group rules on ECS, NetworkPolicies on Kubernetes); a "
        "private service nobody calls accepts no traffic."))
    domain: Optional[DomainName] = Field(None, description=(
        "Public services: serve HTTPS on this name, inside `shipyard:dns.zone`, with an ACM "
        "certificate validated in that zone and an alias record to the load balancer."))


class Autoscaling(Model):
    enabled: bool = Field(True, description="Scale replicas on CPU and memory utilisation.")
    min_replicas: Optional[int] = Field(None, ge=1, le=1000, description=(
        "Lower bound. Default: each service's `replicas`."))
    max_replicas: Optional[int] = Field(None, ge=1, le=1000, description=(
        "Upper bound. Default: 3 x the lower bound."))
    target_cpu_percent: int = Field(70, ge=10, le=95, description="Target average CPU utilisation.")
    target_memory_percent: Optional[int] = Field(80, ge=10, le=95, description=(
        "Target average memory utilisation (null: scale on CPU only)."))


class Ec2Capacity(Model):
    instance_type: InstanceType = Field(DEFAULT_ECS_INSTANCE_TYPE, description=(
        "Instance type of the ECS container instances (Graviton types get the arm64 AMI)."))
    min_size: int = Field(1, ge=0, le=1000, description="Fewest instances.")
    max_size: int = Field(4, ge=1, le=1000, description="Most instances (managed scaling stays within).")
    disk_size: int = Field(30, ge=30, le=16384, description="Root volume size in GiB (encrypted gp3).")


class LoadBalancer(Model):
    certificate_arn: Optional[AcmCertificateArn] = Field(None, description=(
        "ACM certificate for HTTPS: every public service on 443, HTTP redirected. Without it the "
        "ALB serves plain HTTP on port 80, except services with a `domain` (HTTPS)."))
    access_logs: Optional[bool] = Field(None, description=(
        "Write ALB access logs to S3 (Security Hub ELB.5). Default: on in production stacks (and "
        "whenever `accessLogsBucket` is set), off otherwise."))
    access_logs_bucket: Optional[Annotated[str, _valid(s3_bucket_name_problem)]] = Field(None, description=(
        "Existing S3 bucket for the access logs (it must grant ELB log delivery). Unset: "
        "Shipyard creates a private, SSE-S3-encrypted bucket with a lifecycle rule."))
    access_logs_expire_after_days: int = Field(DEFAULT_ACCESS_LOG_EXPIRY_DAYS, ge=1, le=3650,
                                               description=(
        "Shipyard's access log bucket: delete log files older than N days."))
    managed_web_acl: bool = Field(False, description=(
        "Protect the ALB with an AWS WAF web ACL Shipyard creates, with AWS managed rule groups "
        "(IP reputation, anonymous IPs, known bad inputs, core rule set)."))
    web_acl_arn: Optional[WebAclArn] = Field(None, description=(
        "Protect the ALB with this existing regional AWS WAF web ACL instead."))
    idle_timeout: int = Field(60, ge=1, le=4000, description="ALB idle timeout in seconds.")


class Ecs(Model):
    enabled: bool = Field(False, description="Create an ECS cluster and run services on it.")
    capacity: Literal["fargate", "fargateSpot", "ec2"] = Field("fargate", description=(
        "`fargate` (serverless), `fargateSpot` (serverless, up to 70% cheaper, tasks may be "
        "interrupted) or `ec2` (instances Shipyard manages)."))
    on_demand_base: int = Field(0, ge=0, le=100000, description=(
        "fargateSpot: tasks per service always kept on regular Fargate before the rest go to Spot."))
    ec2: Ec2Capacity = Field(Ec2Capacity(), description="EC2 capacity settings (capacity `ec2`).")
    container_insights: bool = Field(True, description="CloudWatch Container Insights (ECS.12).")
    autoscaling: Autoscaling = Field(Autoscaling(), description="Service autoscaling on ECS.")
    log_retention_days: LogRetentionDays = Field(DEFAULT_SERVICE_LOG_RETENTION_DAYS, description=(
        "Retention of each service's log group."))
    enable_exec: bool = Field(False, description="Allow `aws ecs execute-command` into tasks.")
    load_balancer: LoadBalancer = Field(LoadBalancer(), description="The shared public ALB.")


class Logs(Model):
    kms_encryption: Optional[bool] = Field(None, description=(
        "Encrypt the CloudWatch log groups Shipyard creates (ECS service logs, VPC flow logs) "
        "with a customer-managed KMS key. Default: on in production stacks."))
    kms_key_arn: Optional[KmsKeyArn] = Field(None, description=(
        "The KMS key for log encryption (its key policy must allow `logs.<region>.amazonaws.com`). "
        "Unset: Shipyard creates one (rotation on, protected in production)."))


class Waiver(Model):
    control: ControlId = Field(description=(
        "Id of the control waived, e.g. `ELB.6` (see `python -m shipyard check`)."))
    reason: NonBlank = Field(description=(
        "Why this stack may fail the control; shown in the `check` table."))


class Taint(Model):
    key: LabelKey = Field(description="Taint key.")
    value: LabelValue = Field("", description="Taint value.")
    effect: TaintEffect = Field(description="Taint effect.")


class NodeGroup(Model):
    name: Annotated[str, Field(min_length=1, max_length=40), _DNS_LABEL] = Field(description=(
        "Node group name (a DNS label of at most 40 characters)."))
    type: Literal["managed", "selfManaged"] = Field("managed", description=(
        "`managed` (EKS manages the instances) or `selfManaged` (an Auto Scaling group)."))
    # EKS CreateNodegroup takes at most 20 instance types with a launch template (botocore's eks
    # model, CreateNodegroupRequest.instanceTypes), as Shipyard's managed groups have.
    instance_types: list[InstanceType] = Field([DEFAULT_NODE_INSTANCE_TYPE], min_length=1,
                                               max_length=20, description=(
        "Instance types (at most 20; selfManaged: exactly one)."))
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field("ON_DEMAND", description="On-demand or Spot.")
    spot_price: Optional[Annotated[str, _check(r"\d+(\.\d+)?", "must be a price such as 0.05")]] = (
        Field(None, description="selfManaged SPOT: maximum hourly price in USD (required)."))
    min_size: int = Field(1, ge=0, le=1000, description="Fewest nodes.")
    max_size: int = Field(3, ge=1, le=1000, description="Most nodes.")
    desired_size: Optional[int] = Field(None, ge=0, le=1000, description=(
        "Nodes at creation. Default: `minSize`. Later `pulumi up`s keep the group's current "
        "count (scale it with the AWS CLI or an autoscaler)."))
    disk_size: int = Field(20, ge=20, le=16384, description="Root volume size in GiB.")
    labels: dict[LabelKey, LabelValue] = Field({}, description="Kubernetes labels on the nodes.")
    taints: list[Taint] = Field([], description="Kubernetes taints on the nodes.")


class FargateProfile(Model):
    name: DnsLabel = Field(description="Profile name.")
    namespaces: list[DnsLabel] = Field(min_length=1, max_length=5, description=(
        "Kubernetes namespaces whose pods run on Fargate (1 to 5)."))


class Eks(Model):
    enabled: bool = Field(False, description="Create an EKS cluster and run services on it.")
    version: EksVersion = Field(DEFAULT_EKS_VERSION, description=(
        "Kubernetes version; must be one EKS supports (see shipyard/eks_versions.py)."))
    endpoint_public_access: Optional[bool] = Field(None, description=(
        "Expose the API endpoint publicly (private access is always on). Default: false when "
        "`shipyard:production` is true, otherwise true. Private-only in a VPC this stack creates "
        "is unreachable on the first `pulumi up` (README: where `pulumi up` runs)."))
    public_access_cidrs: list[Cidr] = Field([], description=(
        "CIDRs allowed to reach a public endpoint; required when it is public (EKS.1)."))
    private_access_cidrs: list[Cidr] = Field([], description=(
        "CIDRs allowed to reach the private endpoint (HTTPS to the cluster security group): a "
        "VPN range, or the subnet of a CI runner that runs `pulumi up`. Required while the public "
        "endpoint is off."))
    admin_principal_arns: list[IamPrincipalArn] = Field([], description=(
        "IAM roles/users given cluster-admin through access entries."))
    kms_key_arn: Optional[KmsKeyArn] = Field(None, description=(
        "KMS key for secrets envelope encryption. Default: Shipyard creates one (rotation on)."))
    log_types: list[Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]] = (
        Field(["api", "audit", "authenticator"], description="Control plane logs to CloudWatch."))
    node_groups: list[NodeGroup] = Field([], description="Worker node groups.")
    fargate_profiles: list[FargateProfile] = Field([], description="Fargate profiles.")
    namespace: Annotated[DnsLabel, AfterValidator(_not_built_in_namespace)] = Field(
        DEFAULT_WORKLOAD_NAMESPACE, description=(
            "Namespace the services are deployed to (Shipyard creates it; not one of the "
            "namespaces every cluster already has)."))
    autoscaling: Autoscaling = Field(Autoscaling(), description=(
        "HorizontalPodAutoscaler settings for services on EKS."))


class Dns(Model):
    zone: Optional[ZoneName] = Field(None, description=(
        "An existing public Route 53 hosted zone, e.g. `example.com`: where services' `domain` "
        "records and certificate validation records go."))


class Kubernetes(Model):
    kubeconfig: Optional[str] = Field(None, min_length=1, description=(
        "Kubeconfig of an existing cluster (set it with `pulumi config set --secret`)."))
    context: Optional[str] = Field(None, min_length=1, description=(
        "Kubeconfig context to use (from `kubeconfig`, or the ambient ~/.kube/config)."))
    namespace: Annotated[DnsLabel, AfterValidator(_not_built_in_namespace)] = Field(
        DEFAULT_WORKLOAD_NAMESPACE, description=(
            "Namespace the services are deployed to (Shipyard creates it; not one of the "
            "namespaces every cluster already has)."))
    autoscaling: Autoscaling = Field(Autoscaling(), description=(
        "HorizontalPodAutoscaler settings for services on this cluster."))

    @property
    def enabled(self) -> bool:
        return self.kubeconfig is not None or self.context is not None


# A GitHub Actions `runs-on` label: what GitHub's workflow syntax allows in a label.
RunnerLabel = Annotated[str, Field(min_length=1, max_length=100), _check(
    r"[A-Za-z0-9][A-Za-z0-9_.-]*", "must be a runner label (letters, digits, '.', '_', '-')")]


class Deploy(Model):
    runs_on: list[RunnerLabel] = Field(["ubuntu-24.04"], min_length=1, description=(
        "GitHub Actions `runs-on` labels of this stack's preview and `pulumi up` jobs (the "
        "shipped workflows read them). Default: a GitHub-hosted runner, which has no fixed "
        "address and no way into a VPC."))
    egress_cidrs: list[Cidr] = Field([], description=(
        "Public addresses the runner's connections come from (e.g. the Elastic IP of its NAT "
        "gateway, as /32): what a public EKS endpoint must allow (`eks.publicAccessCidrs`). "
        "Empty: no fixed address."))
    private_cidrs: list[Cidr] = Field([], description=(
        "The private network the runner sits in (its subnet): in an existing VPC "
        "(`network.vpcId`), or in a network connected to the stack's VPC; what a private EKS "
        "endpoint must allow (`eks.privateAccessCidrs`)."))
    bootstrapped: bool = Field(False, description=(
        "The stack's first `pulumi up` is done, so its VPC (and any VPN, peering or transit "
        "gateway attached to it since) exists: a runner there may deploy through a private "
        "endpoint. Set it when making the endpoint private after bootstrapping (README: where "
        "`pulumi up` runs); a new stack with it would fail its first `pulumi up`."))


class StackConfig(Model):
    """Everything under the `shipyard:` namespace of one stack."""

    production: bool = Field(False, description=(
        "Production stack: protects stateful resources (ECR repositories, KMS keys, log "
        "buckets) from deletion, turns on ALB deletion protection and access logs, encrypts logs "
        "with KMS, makes the EKS endpoint private and allows no control waivers."))
    network: Network = Field(Network(), description="The VPC.")
    ecr: Ecr = Field(Ecr(), description="Container image repositories.")
    services: list[Service] = Field([], description="Cloud-neutral service specs.")
    ecs: Ecs = Field(Ecs(), description="Amazon ECS.")
    eks: Eks = Field(Eks(), description="Amazon EKS.")
    kubernetes: Kubernetes = Field(Kubernetes(), description=(
        "An existing Kubernetes cluster (any provider): set `kubeconfig` or `context`."))
    dns: Dns = Field(Dns(), description="DNS for services' custom domains.")
    deploy: Deploy = Field(Deploy(), description=(
        "Where `pulumi up` runs, so Shipyard can check it reaches the cluster's API (README: "
        "where `pulumi up` runs)."))
    logs: Logs = Field(Logs(), description="CloudWatch log groups.")
    waivers: list[Waiver] = Field([], description=(
        "Security controls this stack may fail, each with a reason (not allowed in production "
        "stacks)."))

    def enabled_platforms(self) -> list[str]:
        enabled = {"ecs": self.ecs.enabled, "eks": self.eks.enabled,
                   "kubernetes": self.kubernetes.enabled}
        return [platform for platform, on in enabled.items() if on]

    def platforms_of(self, service: Service) -> list[str]:
        return list(service.run_on) if service.run_on is not None else self.enabled_platforms()

    def services_on(self, platform: str) -> list[Service]:
        return [s for s in self.services if platform in self.platforms_of(s)]

    @property
    def needs_network(self) -> bool:
        """Only ECS and EKS run in the VPC; ECR and an existing cluster need none."""
        return self.ecs.enabled or self.eks.enabled

    @property
    def alb_access_logs(self) -> bool:
        settings = self.ecs.load_balancer
        if settings.access_logs is None:
            return self.production or settings.access_logs_bucket is not None
        return settings.access_logs

    @property
    def log_kms_encryption(self) -> bool:
        if self.logs.kms_encryption is None:
            return self.production or self.logs.kms_key_arn is not None
        return self.logs.kms_encryption

    @property
    def needs_log_key(self) -> bool:
        """Shipyard creates the log key only for log groups it creates (flow logs of a new VPC,
        ECS service logs) and only when no key is given."""
        return (self.log_kms_encryption and self.logs.kms_key_arn is None and self.needs_network
                and (not self.network.existing or self.ecs.enabled))

    @property
    def eks_endpoint_public(self) -> bool:
        if self.eks.endpoint_public_access is None:
            return not self.production
        return self.eks.endpoint_public_access
