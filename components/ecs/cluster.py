"""EcsCluster: an ECS cluster and its capacity — Fargate, Fargate Spot, or EC2 Shipyard manages."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumi_aws as aws

from components.network import Egress, allow_egress
from shipyard.aws import iam
from shipyard.aws.ami import ecs_ami_parameter
from shipyard.aws.instance_types import ECS_RESERVED_MEMORY_MIB
from shipyard.aws.launch_template import (
    INSTANCE_WARMUP_SECONDS,
    InstanceSpec,
    hardened_launch_template,
    instance_refresh,
)
from shipyard.aws.naming import IAM_ROLE_NAME_MAX, logical
from shipyard.platforms.ecs.spec import Ecs


@dataclass(frozen=True)
class EcsClusterArgs:
    settings: Ecs
    cluster_name: str
    private_subnet_ids: pulumi.Input[list[str]]
    vpc_id: pulumi.Input[str]
    egress: Egress = Egress()
    # A Cloud Map namespace for Service Connect (only when services call each other).
    service_connect: bool = False


def user_data(cluster_name: str, spot: bool = False) -> str:
    """Joins the instance to the cluster. awsvpc tasks get credentials from their task role,
    so the agent blocks them from the instance metadata service; some memory stays with the
    agent and the OS (shipyard/aws/instance_types.py counts it when checking that tasks fit)."""
    settings = [f"ECS_CLUSTER={cluster_name}", "ECS_AWSVPC_BLOCK_IMDS=true",
                f"ECS_RESERVED_MEMORY={ECS_RESERVED_MEMORY_MIB}",
                "ECS_ENABLE_CONTAINER_METADATA=true", "ECS_CONTAINER_STOP_TIMEOUT=30s"]
    if spot:
        settings.append("ECS_ENABLE_SPOT_INSTANCE_DRAINING=true")
    script = "#!/bin/bash\ncat >> /etc/ecs/ecs.config <<'EOF'\n" + "\n".join(settings) + "\nEOF\n"
    return base64.b64encode(script.encode()).decode()


def capacity_strategy(settings: Ecs, ec2_provider: Optional[pulumi.Input[str]] = None) -> list[dict[str, Any]]:
    """The default capacity provider strategy, which every service also states explicitly."""
    if settings.capacity == "ec2":
        return [{"capacityProvider": ec2_provider, "weight": 1, "base": 0}]
    if settings.capacity == "fargateSpot":
        # Only the on-demand base runs on regular Fargate; everything above it on Spot.
        return [{"capacityProvider": "FARGATE", "weight": 0, "base": settings.on_demand_base},
                {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    return [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]


class EcsCluster(pulumi.ComponentResource):
    physical_name: str
    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    capacity_strategy: list[dict[str, Any]]
    namespace_arn: Optional[pulumi.Output[str]]
    # Services depend on it, so `pulumi destroy` removes them before the capacity they run on.
    capacity_ready: pulumi.Resource

    def __init__(self, name: str, args: EcsClusterArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:ecs:EcsCluster", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.physical_name = args.cluster_name
        self.namespace_arn = None
        if args.service_connect:
            # An HTTP namespace: Service Connect needs no Route 53 hosted zone (API discovery).
            namespace = aws.servicediscovery.HttpNamespace(
                f"{name}-namespace", name=args.cluster_name,
                description=f"Service Connect names of the services on {args.cluster_name}",
                opts=child)
            self.namespace_arn = namespace.arn
        cluster = aws.ecs.Cluster(
            name, name=args.cluster_name,
            settings=[aws.ecs.ClusterSettingArgs(
                name="containerInsights",
                value="enabled" if settings.container_insights else "disabled")],
            service_connect_defaults=aws.ecs.ClusterServiceConnectDefaultsArgs(
                namespace=self.namespace_arn) if self.namespace_arn is not None else None,
            opts=child)

        if settings.capacity == "ec2":
            provider = self._ec2_capacity(name, args, cluster)
            providers: list[pulumi.Input[str]] = [provider.name]
            self.capacity_strategy = capacity_strategy(settings, provider.name)
        else:
            providers = ["FARGATE", "FARGATE_SPOT"]
            self.capacity_strategy = capacity_strategy(settings)

        self.capacity_ready = aws.ecs.ClusterCapacityProviders(
            name, cluster_name=cluster.name, capacity_providers=providers,
            default_capacity_provider_strategies=[
                aws.ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArgs(
                    capacity_provider=s["capacityProvider"], weight=s["weight"], base=s["base"])
                for s in self.capacity_strategy],
            opts=child)
        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.register_outputs({"clusterName": self.cluster_name, "clusterArn": self.cluster_arn})

    def _ec2_capacity(self, name: str, args: EcsClusterArgs,
                      cluster: aws.ecs.Cluster) -> aws.ecs.CapacityProvider:
        ec2 = args.settings.ec2
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(logical(f"{name}-instance", IAM_ROLE_NAME_MAX),
                            assume_role_policy=iam.to_json(iam.assume_role("ec2.amazonaws.com")),
                            opts=child)
        for suffix, policy in (("ecs", aws.iam.ManagedPolicy.AMAZON_EC2_CONTAINER_SERVICEFOR_EC2_ROLE),
                               ("ssm", aws.iam.ManagedPolicy.AMAZON_SSM_MANAGED_INSTANCE_CORE)):
            aws.iam.RolePolicyAttachment(f"{name}-instance-{suffix}", role=role.name,
                                         policy_arn=policy, opts=child)
        profile = aws.iam.InstanceProfile(f"{name}-instance", role=role.name, opts=child)
        # Instances need no inbound traffic: tasks use awsvpc and have security groups of their own.
        security_group = aws.ec2.SecurityGroup(
            f"{name}-instance", vpc_id=args.vpc_id,
            description="ECS container instances: outbound only", opts=child)
        allow_egress(f"{name}-instance-egress", security_group.id, args.egress,
                     "ECS agent, image pulls and AWS APIs", child)

        image_id = aws.ssm.get_parameter(name=ecs_ami_parameter(ec2.instance_type)).value
        template = hardened_launch_template(f"{name}-instance", InstanceSpec(
            disk_size=ec2.disk_size, name_tag=f"{name}-ecs", image_id=image_id,
            instance_type=ec2.instance_type, instance_profile_arn=profile.arn,
            security_group_ids=[security_group.id], user_data=cluster.name.apply(user_data),
            detailed_monitoring=True), opts=child)
        group = aws.autoscaling.Group(
            f"{name}-instances",
            vpc_zone_identifiers=args.private_subnet_ids,
            min_size=ec2.min_size, max_size=ec2.max_size,
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)),
            health_check_type="EC2", health_check_grace_period=INSTANCE_WARMUP_SECONDS,
            default_instance_warmup=INSTANCE_WARMUP_SECONDS,
            # Managed termination protection needs scale-in protection on the group; ECS then
            # decides which instances may go. force_delete lets `pulumi destroy` remove the group
            # although its instances are protected, instead of waiting forever.
            protect_from_scale_in=True,
            force_delete=True,
            instance_refresh=instance_refresh(scale_in_protected_instances="Refresh"),
            # ECS tags the group it manages; stating the tag keeps previews diff-free.
            tags=[aws.autoscaling.GroupTagArgs(key="AmazonECSManaged", value="",
                                               propagate_at_launch=True),
                  aws.autoscaling.GroupTagArgs(key="Name", value=f"{name}-ecs",
                                               propagate_at_launch=True)],
            # Managed scaling owns the desired capacity.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["desiredCapacity"]))
        return aws.ecs.CapacityProvider(
            f"{name}-ec2",
            auto_scaling_group_provider=aws.ecs.CapacityProviderAutoScalingGroupProviderArgs(
                auto_scaling_group_arn=group.arn,
                managed_termination_protection="ENABLED",
                managed_draining="ENABLED",
                managed_scaling=aws.ecs.CapacityProviderAutoScalingGroupProviderManagedScalingArgs(
                    status="ENABLED", target_capacity=100, minimum_scaling_step_size=1,
                    maximum_scaling_step_size=10, instance_warmup_period=INSTANCE_WARMUP_SECONDS)),
            opts=child)
