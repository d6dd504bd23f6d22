"""The stack-config contract: every `shipyard:` key, its type, default and meaning, in one place.

Keys are camelCase as Pulumi users write them (`pulumi config set --path shipyard:ecs.enabled true`).
The configuration reference (docs/config.md) is generated from these models (`python -m shipyard docs`), so a
default or a description is written once, here, or for a platform's own section in its
``shipyard/platforms/<name>/spec.py``; the value types they share are in :mod:`shipyard.config.types`.
Checks that span several keys live in :mod:`shipyard.config.rules`.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BaseModel, Field, create_model

from shipyard.config.types import (
    ALB_HOST,
    ALB_PATH,
    DEFAULT_AZ_COUNT,
    DEFAULT_DOCKERFILE,
    DEFAULT_EXPIRE_UNTAGGED_DAYS,
    DEFAULT_FLOW_LOG_RETENTION_DAYS,
    DEFAULT_KEEP_LAST_IMAGES,
    DEFAULT_VPC_CIDR,
    AccountId,
    Architecture,
    AvailabilityZoneName,
    Cidr,
    ControlId,
    DnsLabel,
    DomainName,
    EnvName,
    KmsKeyArn,
    LogRetentionDays,
    Model,
    NonBlank,
    Platform,
    RepositoryName,
    SecretArn,
    SecretKind,
    VpcCidr,
    ZoneName,
    distinct_architectures,
    pattern_check,
    problem_check,
)
from shipyard.platforms import NAMES as PLATFORM_NAMES
from shipyard.platforms import PLATFORMS
from shipyard.services.image_reference import image_problem, tag_problem


class Network(Model):
    cidr_block: VpcCidr = Field(DEFAULT_VPC_CIDR, description=(
        "IPv4 CIDR of the new VPC (/16 to /22). Each AZ gets a private subnet of 1/8 of it and a "
        "public subnet of 1/64 of it."))
    availability_zones: int = Field(DEFAULT_AZ_COUNT, ge=2, le=6, description=(
        "How many availability zones the VPC spans: the region's first N by zone ID, skipping "
        "zones where EKS or Fargate cannot run (shipyard/aws/zones.py), so every account gets the "
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
        "EKS; see shipyard/aws/endpoints.py) so private subnets reach AWS without NAT."))
    flow_log_retention_days: LogRetentionDays = Field(DEFAULT_FLOW_LOG_RETENTION_DAYS, description=(
        "Retention of the VPC flow log group (a CloudWatch retention period)."))
    vpc_id: Optional[Annotated[str, pattern_check(r"vpc-[0-9a-f]{8,17}", "must be a VPC id (vpc-...)")]] = (
        Field(None, description=(
            "Use this existing VPC instead of creating one (with `publicSubnetIds` and "
            "`privateSubnetIds`). Shipyard then creates no network resources.")))
    public_subnet_ids: Optional[list[Annotated[str, pattern_check(
        r"subnet-[0-9a-f]{8,17}", "must be a subnet id (subnet-...)")]]] = Field(None, description=(
            "Existing VPC only: its public subnets (for internet-facing load balancers)."))
    private_subnet_ids: Optional[list[Annotated[str, pattern_check(
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
    target: Optional[Annotated[str, pattern_check(
        r"[A-Za-z0-9][A-Za-z0-9_.-]*", "must be a Dockerfile stage name")]] = Field(
            None, description="Stage of a multi-stage Dockerfile to build. Default: the last.")


class Service(Model):
    name: DnsLabel = Field(description=(
        "Service name: a DNS label (lowercase, digits, '-'; at most 63 characters)."))
    image: Optional[Annotated[str, problem_check(image_problem)]] = Field(None, min_length=1, description=(
        "Container image with a fixed tag or digest (not `latest`). Or use `repository` + `tag`, "
        "or `build`."))
    repository: Optional[str] = Field(None, description=(
        "Name of a repository declared in `shipyard:ecr`: the image is its URL plus `tag`, or "
        "where `build` pushes."))
    tag: Optional[Annotated[str, problem_check(tag_problem)]] = Field(None, description=(
        "Image tag in `repository` (required with it unless `build` is set; not `latest`)."))
    build: Optional[Build] = Field(None, description=(
        "Build the image from a Dockerfile during `pulumi up`, push it to `repository` and run it "
        "by digest."))
    architectures: Optional[Annotated[list[Architecture], Field(min_length=1),
                                      AfterValidator(distinct_architectures)]] = (
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
    health_check_path: Annotated[str, pattern_check(r"/\S*", "must start with '/' and contain no spaces")] = (
        Field("/", max_length=1024, description=(
            "HTTP path that answers 200 when the service is healthy.")))
    health_command: Optional[list[Annotated[str, Field(min_length=1)]]] = Field(
        None, min_length=1, description=(
            "Docker Swarm: the health check command, run inside the container (exec form, e.g. "
            "`[/app/healthcheck]`, or `[CMD-SHELL, <command>]` for an image with a shell; Swarm "
            "has no HTTP probe). Default: `wget -q --spider "
            "http://127.0.0.1:<port><healthCheckPath>`, so the image must contain `wget` "
            "(BusyBox's will do)."))
    public: bool = Field(False, description=(
        "Reachable from the internet (behind the shared ALB on ECS, a LoadBalancer Service on "
        "Kubernetes, a static host port and `shipyard:nomad.publicTags` on Nomad)."))
    host: Optional[Annotated[str, ALB_HOST]] = Field(None, max_length=128, description=(
        "ECS public services: route requests for this host name to the service."))
    path: Annotated[str, ALB_PATH] = Field("/*", max_length=128, description=(
        "ECS public services: route requests matching this ALB path pattern to the service."))
    priority: Optional[int] = Field(None, ge=1, le=50000, description=(
        "ECS public services: the ALB listener rule priority (lower is evaluated first). "
        "Default: derived from `host` and `path` (shipyard/services/routing.py), so it never changes "
        "when other services come or go."))
    run_on: Optional[list[Platform]] = Field(None, min_length=1, description=(
        f"Where the service runs: any of {', '.join(f'`{name}`' for name in PLATFORM_NAMES)}. "
        "Default: every compute platform the stack enables."))
    calls: list[DnsLabel] = Field([], description=(
        "Services this one calls, by name, at `http://<name>:<port>`. Only these callers get "
        "through to a service (security group rules on ECS, NetworkPolicies on Kubernetes); a "
        "private service nobody calls accepts no traffic. On Nomad, env values naming "
        "`<name>:<port>` get a healthy instance's address from the catalog instead, and nothing "
        "restricts who connects (docs/nomad.md)."))
    domain: Optional[DomainName] = Field(None, description=(
        "Public services: serve HTTPS on this name, inside `shipyard:dns.zone`, with an ACM "
        "certificate validated in that zone and an alias record to the load balancer."))


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


class Dns(Model):
    zone: Optional[ZoneName] = Field(None, description=(
        "An existing public Route 53 hosted zone, e.g. `example.com`: where services' `domain` "
        "records and certificate validation records go."))


# A GitHub Actions `runs-on` label: what GitHub's workflow syntax allows in a label.
RunnerLabel = Annotated[str, Field(min_length=1, max_length=100), pattern_check(
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
        "endpoint. Set it when making the endpoint private after bootstrapping "
        "(docs/eks.md: where `pulumi up` runs); a new stack with it would fail its first "
        "`pulumi up`."))


class _StackConfig(Model):
    """Everything under the `shipyard:` namespace of one stack but the platforms' sections."""

    production: bool = Field(False, description=(
        "Production stack: protects stateful resources (ECR repositories, KMS keys, log "
        "buckets) from deletion, turns on ALB deletion protection and access logs, encrypts logs "
        "with KMS, makes the EKS endpoint private and allows no control waivers."))
    network: Network = Field(Network(), description="The VPC.")
    ecr: Ecr = Field(Ecr(), description="Container image repositories.")
    services: list[Service] = Field([], description="Cloud-neutral service specs.")
    dns: Dns = Field(Dns(), description="DNS for services' custom domains.")
    deploy: Deploy = Field(Deploy(), description=(
        "Where `pulumi up` runs, so Shipyard can check it reaches the cluster's API "
        "(docs/eks.md: where `pulumi up` runs)."))
    logs: Logs = Field(Logs(), description="CloudWatch log groups.")
    waivers: list[Waiver] = Field([], description=(
        "Security controls this stack may fail, each with a reason (not allowed in production "
        "stacks)."))

    def enabled_platforms(self) -> list[str]:
        return [name for name in PLATFORMS if getattr(self, name).enabled]

    def platforms_of(self, service: Service) -> list[str]:
        return list(service.run_on) if service.run_on is not None else self.enabled_platforms()

    def runs_on(self, service: Service, platform: str) -> bool:
        """Whether `service` runs on `platform`: the one way to ask."""
        return platform in self.platforms_of(service)

    def services_on(self, platform: str) -> list[Service]:
        return [s for s in self.services if self.runs_on(s, platform)]

    @property
    def needs_network(self) -> bool:
        """Only platforms that run in the VPC need one; ECR and an existing cluster need none."""
        return any(PLATFORMS[name].in_vpc for name in self.enabled_platforms())

    @property
    def log_kms_encryption(self) -> bool:
        if self.logs.kms_encryption is None:
            return self.production or self.logs.kms_key_arn is not None
        return self.logs.kms_encryption

    @property
    def needs_log_key(self) -> bool:
        """Shipyard creates the log key only for log groups it creates (flow logs of a new VPC,
        the log groups of platforms with `log_groups`) and only when no key is given."""
        creates_logs = not self.network.existing or any(
            PLATFORMS[name].log_groups for name in self.enabled_platforms())
        return (self.log_kms_encryption and self.logs.kms_key_arn is None and self.needs_network
                and creates_logs)


def _platform_sections() -> dict[str, Any]:
    """`shipyard:<name>` for each registered platform: its `spec` hook's Section, off by default."""
    sections = {}
    for name, platform in PLATFORMS.items():
        section = platform.hook("spec").Section
        sections[name] = (section, Field(section(), description=platform.section))
    return sections


# The platforms' sections come from the registry, after the stack's shared settings.
StackConfig = create_model("StackConfig", __base__=_StackConfig, __module__=__name__,
                           **_platform_sections())
StackConfig.__doc__ = "Everything under the `shipyard:` namespace of one stack."


def secret_kind(section: str, key: str) -> Optional[str]:
    """What a secret under `shipyard:<section>` at `key` holds, by the SecretKind of its field's
    type ("pem", "kubeconfig"), or None: the offline engine stands in a value of that kind."""
    field = next((f for f in StackConfig.model_fields.values() if f.alias == section), None)
    model = field.annotation if field else None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    inner = next((f for f in model.model_fields.values() if f.alias == key), None)
    return _kind_of(inner.annotation) if inner else None


def _kind_of(annotation: Any) -> Optional[str]:
    """The SecretKind in an annotation's metadata, through Optional and Annotated."""
    for part in typing.get_args(annotation):   # an Annotated's args include its metadata
        if isinstance(part, SecretKind):
            return part.kind
        if kind := _kind_of(part):
            return kind
    return None
