"""EksNodeGroup: one group of EKS worker nodes, managed by EKS or self-managed, on Shipyard's
hardened launch template (IMDSv2 with hop limit 1, encrypted gp3 root, no public IP)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from shipyard.aws import iam
from shipyard.aws.launch_template import (
    INSTANCE_WARMUP_SECONDS,
    InstanceSpec,
    hardened_launch_template,
    instance_refresh,
)
from shipyard.aws.naming import EKS_NODE_GROUP_NAME_MAX, IAM_ROLE_NAME_MAX, logical
from shipyard.platforms.eks.nodes import (
    MANAGED_TAINT_EFFECTS,
    managed_ami_type,
    nodeadm_user_data,
    self_managed_ami_parameter,
)
from shipyard.platforms.eks.spec import NodeGroup

NODE_POLICIES = (("worker", aws.iam.ManagedPolicy.AMAZON_EKS_WORKER_NODE_POLICY),
                 # pulumi-aws's ManagedPolicy enum has no member for the CNI policy.
                 ("cni", "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"),
                 ("ecr", aws.iam.ManagedPolicy.AMAZON_EC2_CONTAINER_REGISTRY_READ_ONLY))
# Self-managed nodes are replaced after a version upgrade too: new instances launch before old
# ones go (up to this share of the group).
INSTANCE_REFRESH_MAX_HEALTHY_PERCENT = 110


@dataclass(frozen=True)
class NodeBootstrap:
    """What a self-managed node needs to find and trust the cluster (nodeadm's NodeConfig)."""

    endpoint: str
    certificate_authority: str
    service_cidr: str


@dataclass(frozen=True)
class EksNodeGroupArgs:
    settings: NodeGroup
    cluster: eks.Cluster
    cluster_name: str
    version: str
    subnet_ids: pulumi.Input[list[str]]
    # The security group EKS creates for the cluster: managed nodes get it from EKS, self-managed
    # nodes from their launch template, so every node can reach every other (DNS, pods).
    cluster_security_group_id: pulumi.Input[str]
    bootstrap: pulumi.Output[NodeBootstrap]
    # Where this group's resources lived before node groups had a component of their own.
    previous_parent: Optional[pulumi.Resource] = None


class EksNodeGroup(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]
    # Created once the nodes can join: what CoreDNS and workloads wait for.
    capacity: pulumi.Resource

    def __init__(self, name: str, args: EksNodeGroupArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:eks:EksNodeGroup", name, None, opts)
        self._moved = [pulumi.Alias(parent=args.previous_parent)] if args.previous_parent else []
        group = args.settings
        role = self._node_role(name, group)
        kinds: dict[str, Callable[..., pulumi.Resource]] = {
            "managed": self._managed, "selfManaged": self._self_managed}
        self.capacity = kinds[group.type](name, group, role, args)
        self.role_arn = role.arn
        self.register_outputs({"roleArn": self.role_arn})

    def _options(self, **extra) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, aliases=self._moved, **extra)

    def _node_role(self, name: str, group: NodeGroup) -> aws.iam.Role:
        role = aws.iam.Role(logical(f"{name}-node", IAM_ROLE_NAME_MAX),
                            assume_role_policy=iam.to_json(iam.assume_role("ec2.amazonaws.com")),
                            description=f"EKS nodes of group {group.name}", opts=self._options())
        for suffix, policy in NODE_POLICIES:
            aws.iam.RolePolicyAttachment(logical(f"{name}-{suffix}", IAM_ROLE_NAME_MAX),
                                         role=role.name, policy_arn=policy, opts=self._options())
        return role

    def _managed(self, name: str, group: NodeGroup, role: aws.iam.Role,
                 args: EksNodeGroupArgs) -> eks.ManagedNodeGroup:
        # No image, profile or network interface in the template: EKS picks the AMI for amiType
        # and `version`, writes the bootstrap user data and puts the cluster security group on the
        # nodes.
        template = hardened_launch_template(name, InstanceSpec(
            description=f"EKS managed node group {group.name}", disk_size=group.disk_size,
            name_tag=name), opts=self._options())
        return eks.ManagedNodeGroup(
            # pulumi-eks auto-names the node group from this name (+ 8 characters).
            logical(name, EKS_NODE_GROUP_NAME_MAX), cluster=args.cluster,
            # With a launch template pulumi-eks sets no version: pass the cluster's, so changing
            # `eks.version` upgrades the control plane first, then these nodes.
            version=args.version,
            node_role_arn=role.arn, subnet_ids=args.subnet_ids,
            instance_types=list(group.instance_types), capacity_type=group.capacity_type,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=group.min_size, max_size=group.max_size, desired_size=_desired(group)),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)),
            ami_type=managed_ami_type(group.instance_types[0]),
            operating_system=eks.OperatingSystem.AL2023,
            labels=dict(group.labels) or None,
            taints=[aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value,
                                               effect=MANAGED_TAINT_EFFECTS[t.effect])
                    for t in group.taints] or None,
            # desiredSize sets the count at creation; whoever scales the group later (a person,
            # an autoscaler) keeps that count across `pulumi up` (pulumi-eks ManagedNodeGroup
            # docstring: "Whether to ignore changes to the desired size").
            ignore_scaling_changes=True,
            opts=self._options())

    def _self_managed(self, name: str, group: NodeGroup, role: aws.iam.Role,
                      args: EksNodeGroupArgs) -> aws.autoscaling.Group:
        """An Auto Scaling group of Amazon Linux 2023 EKS nodes, built from its parts as
        terraform-aws-eks's self-managed node group is: pulumi-eks's NodeGroupV2 cannot set the
        launch template's metadata options from Python."""
        profile = aws.iam.InstanceProfile(logical(f"{name}-node", IAM_ROLE_NAME_MAX),
                                          role=role.name, opts=self._options())
        # On an API-mode cluster nodes join through an EC2_LINUX access entry for their role.
        access = aws.eks.AccessEntry(f"{name}-node", cluster_name=args.cluster_name,
                                     principal_arn=role.arn, type="EC2_LINUX",
                                     # one entry per principal and cluster
                                     opts=self._options(depends_on=[args.cluster],
                                                        delete_before_replace=True))
        instance_type = group.instance_types[0]
        image_id = aws.ssm.get_parameter_output(
            name=self_managed_ami_parameter(args.version, instance_type),
            opts=pulumi.InvokeOptions(parent=self)).value
        taints = [(t.key, t.value, t.effect) for t in group.taints]
        user_data = args.bootstrap.apply(lambda node: nodeadm_user_data(
            args.cluster_name, node.endpoint, node.certificate_authority, node.service_cidr,
            group.labels, taints))
        ownership = {f"kubernetes.io/cluster/{args.cluster_name}": "owned"}
        template = hardened_launch_template(name, InstanceSpec(
            description=f"EKS self-managed node group {group.name}", disk_size=group.disk_size,
            name_tag=name, image_id=image_id, instance_type=instance_type,
            instance_profile_arn=profile.arn,
            security_group_ids=[args.cluster_security_group_id], user_data=user_data,
            spot_max_price=group.spot_price if group.capacity_type == "SPOT" else None),
            opts=self._options())
        return aws.autoscaling.Group(
            name, vpc_zone_identifiers=args.subnet_ids,
            min_size=group.min_size, max_size=group.max_size, desired_capacity=_desired(group),
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)),
            health_check_type="EC2", health_check_grace_period=INSTANCE_WARMUP_SECONDS,
            default_instance_warmup=INSTANCE_WARMUP_SECONDS,
            instance_refresh=instance_refresh(
                max_healthy_percentage=INSTANCE_REFRESH_MAX_HEALTHY_PERCENT),
            # The in-tree cloud provider finds the cluster's instances by this tag, which the
            # group puts on every instance it launches.
            tags=[aws.autoscaling.GroupTagArgs(key=key, value=value, propagate_at_launch=True)
                  for key, value in {"Name": name, **ownership}.items()],
            # As for managed groups: a later `pulumi up` never resets the running count.
            opts=self._options(depends_on=[access], ignore_changes=["desiredCapacity"]))


def _desired(group: NodeGroup) -> int:
    return group.desired_size if group.desired_size is not None else group.min_size
