"""`shipyard:eks`: the EKS cluster, its node groups and Fargate profiles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, Optional

from pydantic import AfterValidator, Field

from shipyard.aws import endpoints
from shipyard.aws.reachability import Api, Way
from shipyard.config.types import (
    DEFAULT_NODE_INSTANCE_TYPE,
    DEFAULT_WORKLOAD_NAMESPACE,
    DNS_LABEL_PATTERN,
    Autoscaling,
    Cidr,
    DnsLabel,
    IamPrincipalArn,
    InstanceType,
    KmsKeyArn,
    LabelKey,
    LabelValue,
    Model,
    PlatformSection,
    not_built_in_namespace,
    pattern_check,
)
from shipyard.platforms.eks.nodes import TaintEffect
from shipyard.platforms.eks.versions import DEFAULT_EKS_VERSION, SUPPORTED_EKS_VERSIONS

if TYPE_CHECKING:
    from shipyard.config.schema import StackConfig



def _eks_version(value: str) -> str:
    if value not in SUPPORTED_EKS_VERSIONS:
        raise ValueError(f"Kubernetes {value} is not supported by EKS; supported: "
                         f"{', '.join(SUPPORTED_EKS_VERSIONS)}")
    return value


EksVersion = Annotated[str, AfterValidator(_eks_version)]

class Taint(Model):
    key: LabelKey = Field(description="Taint key.")
    value: LabelValue = Field("", description="Taint value.")
    effect: TaintEffect = Field(description="Taint effect.")


class NodeGroup(Model):
    name: Annotated[str, Field(min_length=1, max_length=40), DNS_LABEL_PATTERN] = Field(description=(
        "Node group name (a DNS label of at most 40 characters)."))
    type: Literal["managed", "selfManaged"] = Field("managed", description=(
        "`managed` (EKS manages the instances) or `selfManaged` (an Auto Scaling group)."))
    # EKS CreateNodegroup takes at most 20 instance types with a launch template (botocore's eks
    # model, CreateNodegroupRequest.instanceTypes), as Shipyard's managed groups have.
    instance_types: list[InstanceType] = Field([DEFAULT_NODE_INSTANCE_TYPE], min_length=1,
                                               max_length=20, description=(
        "Instance types (at most 20; selfManaged: exactly one)."))
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field("ON_DEMAND", description="On-demand or Spot.")
    spot_price: Optional[Annotated[str, pattern_check(r"\d+(\.\d+)?", "must be a price such as 0.05")]] = (
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


class Eks(PlatformSection):
    enabled: bool = Field(False, description="Create an EKS cluster and run services on it.")
    version: EksVersion = Field(DEFAULT_EKS_VERSION, description=(
        "Kubernetes version; must be one EKS supports (see shipyard/platforms/eks/versions.py)."))
    endpoint_public_access: Optional[bool] = Field(None, description=(
        "Expose the API endpoint publicly (private access is always on). Default: false when "
        "`shipyard:production` is true, otherwise true. Private-only in a VPC this stack creates "
        "is unreachable on the first `pulumi up` (docs/eks.md: where `pulumi up` runs)."))
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
    namespace: Annotated[DnsLabel, AfterValidator(not_built_in_namespace)] = Field(
        DEFAULT_WORKLOAD_NAMESPACE, description=(
            "Namespace the services are deployed to (Shipyard creates it; not one of the "
            "namespaces every cluster already has)."))
    autoscaling: Autoscaling = Field(Autoscaling(), description=(
        "HorizontalPodAutoscaler settings for services on EKS."))


    def endpoint_public(self, config: StackConfig) -> bool:
        """The API endpoint is public unless the stack is production (or says otherwise)."""
        if self.endpoint_public_access is None:
            return not config.production
        return self.endpoint_public_access

    def cluster_api(self, config: StackConfig) -> Optional[Api]:
        """The EKS cluster's API endpoint: public (allow-listed) and/or private, in the VPC."""
        ways = []
        if self.endpoint_public(config):
            ways.append(Way("public endpoint", True, "shipyard:eks.publicAccessCidrs",
                            tuple(self.public_access_cidrs), on_first_up=True))
        ways.append(Way("private endpoint", False, "shipyard:eks.privateAccessCidrs",
                        tuple(self.private_access_cidrs), on_first_up=config.network.existing))
        return Api("the EKS cluster's API endpoint", tuple(ways),
                   docs="docs/eks.md: where `pulumi up` runs",
                   also="" if self.endpoint_public(config) else (
                       "make the endpoint public to its egress (shipyard:eks.endpointPublicAccess "
                       "true, with publicAccessCidrs)"))

    def interface_endpoints(self, config: StackConfig) -> tuple[str, ...]:
        """Nodes pull from ECR and join the cluster; Fargate pods need STS (shipyard/aws/
        endpoints.py says why each)."""
        needed = [*endpoints.ECR]
        if self.node_groups:
            needed += endpoints.EKS_NODES
        if self.fargate_profiles or not self.node_groups:
            needed += endpoints.EKS_FARGATE
        return tuple(needed)

Section = Eks
