"""The one hardened EC2 launch template behind every instance Shipyard runs: ECS container
instances, EKS managed node groups and EKS self-managed node groups.

What every instance gets:
- IMDSv2 only, with a hop limit of 1 (Security Hub EC2.8): containers and pods one network hop
  away cannot reach the instance metadata service, so they never borrow the instance's role
  (ECS awsvpc tasks use their task role; EKS pods use IRSA or Pod Identity).
- An encrypted gp3 root volume, deleted with the instance.
- No public IP address (Security Hub EC2.9 / EC2.25), when Shipyard places the network interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

ROOT_DEVICE = "/dev/xvda"  # Amazon Linux 2023's root device (ECS- and EKS-optimized AMIs)
METADATA_HOP_LIMIT = 1
# Auto Scaling groups launched from the template replace their instances when it changes (a new
# AMI, a new size), keeping this share of capacity in service, and give a new instance this long
# to start before it counts.
INSTANCE_REFRESH_MIN_HEALTHY_PERCENT = 90
INSTANCE_WARMUP_SECONDS = 300


def instance_refresh(**preferences: object) -> aws.autoscaling.GroupInstanceRefreshArgs:
    """The rolling instance refresh of every Auto Scaling group launched from the template;
    `preferences` adds the group's own (a healthy-percentage ceiling, protected instances)."""
    return aws.autoscaling.GroupInstanceRefreshArgs(
        strategy="Rolling", preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
            min_healthy_percentage=INSTANCE_REFRESH_MIN_HEALTHY_PERCENT,
            instance_warmup=str(INSTANCE_WARMUP_SECONDS), **preferences))


@dataclass(frozen=True)
class InstanceSpec:
    """What differs between the users of the template. Leave a field unset where the service
    that launches the instances must supply it (EKS managed node groups refuse an instance profile
    and network interfaces in the template, and pick the AMI themselves)."""

    disk_size: int
    name_tag: str
    description: Optional[str] = None
    image_id: Optional[pulumi.Input[str]] = None
    instance_type: Optional[str] = None
    instance_profile_arn: Optional[pulumi.Input[str]] = None
    # Set to place the network interface: no public IP, these security groups.
    security_group_ids: Optional[Sequence[pulumi.Input[str]]] = None
    user_data: Optional[pulumi.Input[str]] = None  # base64
    detailed_monitoring: bool = False
    spot_max_price: Optional[str] = None  # launch Spot instances at most at this hourly price


def hardened_launch_template(name: str, spec: InstanceSpec,
                             opts: pulumi.ResourceOptions) -> aws.ec2.LaunchTemplate:
    network_interfaces = None
    if spec.security_group_ids is not None:
        network_interfaces = [aws.ec2.LaunchTemplateNetworkInterfaceArgs(
            associate_public_ip_address="false", delete_on_termination="true",
            security_groups=list(spec.security_group_ids))]
    return aws.ec2.LaunchTemplate(
        name,
        description=spec.description,
        image_id=spec.image_id,
        instance_type=spec.instance_type,
        iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(
            arn=spec.instance_profile_arn) if spec.instance_profile_arn else None,
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled", http_tokens="required",
            http_put_response_hop_limit=METADATA_HOP_LIMIT, instance_metadata_tags="disabled"),
        network_interfaces=network_interfaces,
        block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name=ROOT_DEVICE, ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                volume_size=spec.disk_size, volume_type="gp3", encrypted="true",
                delete_on_termination="true"))],
        monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True)
        if spec.detailed_monitoring else None,
        user_data=spec.user_data,
        instance_market_options=aws.ec2.LaunchTemplateInstanceMarketOptionsArgs(
            market_type="spot", spot_options=aws.ec2.LaunchTemplateInstanceMarketOptionsSpotOptionsArgs(
                max_price=spec.spot_max_price)) if spec.spot_max_price else None,
        # Every change makes a new version and makes it the default, so Auto Scaling groups and
        # node groups that follow `latest_version` roll onto it.
        update_default_version=True,
        tag_specifications=[aws.ec2.LaunchTemplateTagSpecificationArgs(
            resource_type="instance", tags={"Name": spec.name_tag})],
        opts=opts)
