"""EksCluster: a hardened EKS cluster (pulumi-eks) with managed node groups, self-managed node
groups and Fargate profiles in any mix."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from shipyard import iam
from shipyard.ami import is_graviton
from shipyard.aws_context import AwsContext
from shipyard.config.schema import Eks, NodeGroup
from shipyard.naming import IAM_ROLE_NAME_MAX, logical

CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
NODE_POLICIES = (("worker", aws.iam.ManagedPolicy.AMAZON_EKS_WORKER_NODE_POLICY),
                 # pulumi-aws's ManagedPolicy enum has no member for the CNI policy.
                 ("cni", "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"),
                 ("ecr", aws.iam.ManagedPolicy.AMAZON_EC2_CONTAINER_REGISTRY_READ_ONLY))
# Fargate-only clusters get this profile so CoreDNS has somewhere to run.
COREDNS_PROFILE = "shipyard-coredns"
# Kubernetes taint effects as the EKS node group API spells them.
MANAGED_TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE",
                         "NoExecute": "NO_EXECUTE"}


@dataclass(frozen=True)
class EksClusterArgs:
    settings: Eks
    cluster_name: str
    aws_context: AwsContext
    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[list[str]]
    endpoint_public: bool
    production: bool = False


class EksCluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]  # secret

    def __init__(self, name: str, args: EksClusterArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:eks:EksCluster", name, None, opts)
        settings = args.settings
        self._account = args.aws_context.account_id
        self._region = args.aws_context.region
        fargate_only = not settings.node_groups

        key_arn = settings.kms_key_arn or self._secrets_key(name, args).arn
        node_roles = {group.name: self._node_role(name, group) for group in settings.node_groups}
        self_managed_roles = [node_roles[g.name] for g in settings.node_groups
                              if g.type == "selfManaged"]

        cluster = eks.Cluster(
            name, name=args.cluster_name, version=settings.version,
            vpc_id=args.vpc_id, private_subnet_ids=args.private_subnet_ids,
            node_associate_public_ip_address=False,
            skip_default_node_group=True,
            authentication_mode=eks.AuthenticationMode.API,
            access_entries={f"admin-{index}": eks.AccessEntryArgs(
                principal_arn=arn, access_policies={"cluster-admin": eks.AccessPolicyAssociationArgs(
                    policy_arn=CLUSTER_ADMIN_POLICY,
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"))})
                for index, arn in enumerate(settings.admin_principal_arns)},
            # Self-managed nodes join through access entries of type EC2_LINUX made from these
            # roles; EKS makes the entries for managed node groups itself.
            instance_roles=self_managed_roles or None,
            create_oidc_provider=True,
            enabled_cluster_log_types=list(settings.log_types),
            encryption_config_key_arn=key_arn,
            endpoint_private_access=True,
            endpoint_public_access=args.endpoint_public,
            public_access_cidrs=list(settings.public_access_cidrs) if args.endpoint_public else None,
            deletion_protection=args.production,
            # What AWS applies when unset: after standard support the cluster stays on its
            # version (at the extended-support price) instead of being upgraded under you.
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="EXTENDED"),
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(
                enabled=True,
                # With no nodes at all, CoreDNS must be scheduled on Fargate.
                configuration_values={"computeType": "Fargate"} if fargate_only else None),
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=True),
            use_default_vpc_cni=False,  # pulumi-eks installs vpc-cni as a managed add-on
            opts=pulumi.ResourceOptions(parent=self))

        capacity: list[pulumi.Resource] = []
        for group in settings.node_groups:
            create = self._managed_group if group.type == "managed" else self._self_managed_group
            capacity.append(create(name, group, cluster, node_roles[group.name], args))
        if settings.fargate_profiles or fargate_only:
            pod_role = self._fargate_pod_role(name, args.cluster_name)
            profiles = {profile.name: [aws.eks.FargateProfileSelectorArgs(namespace=namespace)
                                       for namespace in profile.namespaces]
                        for profile in settings.fargate_profiles}
            if fargate_only:
                profiles[COREDNS_PROFILE] = [aws.eks.FargateProfileSelectorArgs(
                    namespace="kube-system", labels={"k8s-app": "kube-dns"})]
            for profile_name, selectors in profiles.items():
                capacity.append(aws.eks.FargateProfile(
                    f"{name}-fargate-{profile_name}", cluster_name=args.cluster_name,
                    fargate_profile_name=profile_name, pod_execution_role_arn=pod_role.arn,
                    subnet_ids=args.private_subnet_ids, selectors=selectors,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster])))
        if not fargate_only:
            # The Pod Identity agent is a DaemonSet: it runs on nodes, not on Fargate.
            aws.eks.Addon(f"{name}-pod-identity-agent", cluster_name=args.cluster_name,
                          addon_name="eks-pod-identity-agent",
                          resolve_conflicts_on_create="OVERWRITE",
                          resolve_conflicts_on_update="OVERWRITE",
                          opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster, *capacity]))

        self.cluster_name = pulumi.Output.from_input(args.cluster_name)
        self.endpoint = cluster.kubeconfig_json.apply(
            lambda text: json.loads(text)["clusters"][0]["cluster"]["server"])
        self.oidc_provider_arn = cluster.oidc_provider_arn
        self.kubeconfig = pulumi.Output.secret(cluster.kubeconfig_json)
        self.register_outputs({"clusterName": self.cluster_name, "endpoint": self.endpoint,
                               "oidcProviderArn": self.oidc_provider_arn,
                               "kubeconfig": self.kubeconfig})

    def _secrets_key(self, name: str, args: EksClusterArgs) -> aws.kms.Key:
        key = aws.kms.Key(
            f"{name}-secrets", description=f"EKS secrets envelope encryption for {args.cluster_name}",
            key_usage="ENCRYPT_DECRYPT", customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True, deletion_window_in_days=30,
            policy=iam.to_json(iam.eks_secrets_key_policy(self._account)),
            opts=pulumi.ResourceOptions(parent=self, protect=args.production))
        aws.kms.Alias(f"{name}-secrets", name=f"alias/{args.cluster_name}-eks-secrets",
                      target_key_id=key.key_id, opts=pulumi.ResourceOptions(parent=self))
        return key

    def _node_role(self, name: str, group: NodeGroup) -> aws.iam.Role:
        child = pulumi.ResourceOptions(parent=self)
        role_name = logical(f"{name}-{group.name}-node", IAM_ROLE_NAME_MAX)
        role = aws.iam.Role(role_name, assume_role_policy=iam.to_json(
            iam.assume_role("ec2.amazonaws.com")),
            description=f"EKS nodes of group {group.name}", opts=child)
        for suffix, policy in NODE_POLICIES:
            aws.iam.RolePolicyAttachment(logical(f"{name}-{group.name}-{suffix}", IAM_ROLE_NAME_MAX),
                                         role=role.name, policy_arn=policy, opts=child)
        return role

    def _managed_group(self, name: str, group: NodeGroup, cluster: eks.Cluster,
                       role: aws.iam.Role, args: EksClusterArgs) -> eks.ManagedNodeGroup:
        # Shipyard's own launch template: IMDSv2 with hop limit 1 (pods use IRSA or Pod Identity,
        # never the node's role) and an encrypted gp3 root volume. EKS still picks the AMI
        # (amiType) and writes the bootstrap user data, as no image id is set here.
        template = aws.ec2.LaunchTemplate(
            f"{name}-{group.name}",
            description=f"EKS managed node group {group.name}",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1,
                instance_metadata_tags="disabled"),
            block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name="/dev/xvda", ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=group.disk_size, volume_type="gp3", encrypted="true",
                    delete_on_termination="true"))],
            tag_specifications=[aws.ec2.LaunchTemplateTagSpecificationArgs(
                resource_type="instance", tags={"Name": f"{name}-{group.name}"})],
            update_default_version=True,
            opts=pulumi.ResourceOptions(parent=self))
        graviton = is_graviton(group.instance_types[0])
        return eks.ManagedNodeGroup(
            f"{name}-{group.name}", cluster=cluster, node_role_arn=role.arn,
            subnet_ids=args.private_subnet_ids,
            instance_types=list(group.instance_types), capacity_type=group.capacity_type,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=group.min_size, max_size=group.max_size,
                desired_size=group.desired_size if group.desired_size is not None else group.min_size),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)),
            ami_type="AL2023_ARM_64_STANDARD" if graviton else "AL2023_x86_64_STANDARD",
            operating_system=eks.OperatingSystem.AL2023,
            labels=dict(group.labels) or None,
            taints=[aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value,
                                               effect=MANAGED_TAINT_EFFECTS[t.effect])
                    for t in group.taints] or None,
            opts=pulumi.ResourceOptions(parent=self))

    def _self_managed_group(self, name: str, group: NodeGroup, cluster: eks.Cluster,
                            role: aws.iam.Role, args: EksClusterArgs) -> eks.NodeGroupV2:
        profile = aws.iam.InstanceProfile(logical(f"{name}-{group.name}-node", IAM_ROLE_NAME_MAX),
                                          role=role.name, opts=pulumi.ResourceOptions(parent=self))
        instance_type = group.instance_types[0]
        # IMDSv2: the Amazon Linux 2023 EKS AMIs are registered with ImdsSupport v2.0, so their
        # instances require tokens. (pulumi-eks's Python SDK exposes no metadata options.)
        return eks.NodeGroupV2(
            f"{name}-{group.name}", cluster=cluster, instance_type=instance_type,
            instance_profile_name=profile.name, node_subnet_ids=args.private_subnet_ids,
            node_associate_public_ip_address=False,
            min_size=group.min_size, max_size=group.max_size,
            desired_capacity=group.desired_size if group.desired_size is not None else group.min_size,
            spot_price=group.spot_price if group.capacity_type == "SPOT" else None,
            node_root_volume_size=group.disk_size, node_root_volume_type="gp3",
            node_root_volume_encrypted=True, node_root_volume_delete_on_termination=True,
            operating_system=eks.OperatingSystem.AL2023,
            ami_type="amazon-linux-2023/arm64" if is_graviton(instance_type) else None,
            labels=dict(group.labels) or None,
            taints={t.key: eks.TaintArgs(value=t.value, effect=t.effect) for t in group.taints} or None,
            opts=pulumi.ResourceOptions(parent=self))

    def _fargate_pod_role(self, name: str, cluster_name: str) -> aws.iam.Role:
        child = pulumi.ResourceOptions(parent=self)
        trust = iam.assume_role("eks-fargate-pods.amazonaws.com")
        # Only this cluster's Fargate profiles may use the role (confused-deputy protection).
        trust["Statement"][0]["Condition"] = {"ArnLike": {"aws:SourceArn": (
            f"arn:aws:eks:{self._region}:{self._account}:fargateprofile/{cluster_name}/*")}}
        role = aws.iam.Role(logical(f"{name}-fargate-pods", IAM_ROLE_NAME_MAX),
                            assume_role_policy=iam.to_json(trust),
                            description="Pulls images and ships logs for Fargate pods", opts=child)
        aws.iam.RolePolicyAttachment(
            logical(f"{name}-fargate-pods", IAM_ROLE_NAME_MAX), role=role.name,
            policy_arn=aws.iam.ManagedPolicy.AMAZON_EKS_FARGATE_POD_EXECUTION_ROLE_POLICY, opts=child)
        return role
