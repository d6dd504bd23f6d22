"""EksCluster: a hardened EKS cluster (pulumi-eks) with managed node groups, self-managed node
groups and Fargate profiles in any mix, and the add-ons that make it usable.

Order of creation, which is also what `pulumi up` waits for: the cluster (with vpc-cni, network
policy on, and kube-proxy) -> its capacity (node groups, Fargate profiles) -> CoreDNS and
metrics-server, which need somewhere to run -> the workloads (through :attr:`EksCluster.ready`).
pulumi-eks would create CoreDNS inside the cluster component, before any capacity exists, and the
add-on would never become healthy (pulumi/pulumi-eks#1819).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from components.eks.node_group import EksNodeGroup, EksNodeGroupArgs, NodeBootstrap
from shipyard.aws import iam
from shipyard.aws.context import AwsContext
from shipyard.aws.kms import encryption_key
from shipyard.aws.naming import IAM_ROLE_NAME_MAX, logical, principal_name
from shipyard.platforms.eks.nodes import FARGATE_SYSTEM_PROFILES, service_cidr
from shipyard.platforms.eks.spec import Eks

CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
KUBERNETES_API_PORT = 443


@dataclass(frozen=True)
class EksClusterArgs:
    settings: Eks
    cluster_name: str
    aws_context: AwsContext
    vpc_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[list[str]]
    endpoint_public: bool
    production: bool = False


class EksCluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]  # secret
    # Capacity, CoreDNS and metrics-server: what workloads on the cluster must wait for.
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: EksClusterArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:eks:EksCluster", name, None, opts)
        settings = args.settings
        self._account = args.aws_context.account_id
        self._region = args.aws_context.region
        self._cluster_name = args.cluster_name
        fargate_only = not settings.node_groups
        cidr = pulumi.Output.from_input(args.vpc_cidr).apply(service_cidr)

        cluster = self._cluster(name, args, cidr)
        # EKS makes the identity that creates the cluster an admin itself
        # (bootstrapClusterCreatorAdminPermissions, always on in pulumi-eks): a second access entry
        # for it would fail with 409 ResourceInUseException.
        admins = [arn for arn in settings.admin_principal_arns
                  if not iam.same_principal(arn, args.aws_context.caller_arn)]
        for index, arn in enumerate(admins):
            self._admin(name, arn, index, cluster)
        security_group_id = cluster.cluster_security_group_id
        self._private_api_access(name, settings.private_access_cidrs, security_group_id)
        capacity = self._capacity(name, args, cluster, cidr, security_group_id, fargate_only)
        self.ready = [*capacity, *self._system_addons(name, cluster, settings.version, capacity,
                                                      fargate_only)]

        self.cluster_name = pulumi.Output.from_input(args.cluster_name)
        self.endpoint = cluster.kubeconfig_json.apply(lambda text: _cluster_entry(text)["server"])
        self.oidc_provider_arn = cluster.oidc_provider_arn
        self.kubeconfig = pulumi.Output.secret(cluster.kubeconfig_json)
        self.register_outputs({"clusterName": self.cluster_name, "endpoint": self.endpoint,
                               "oidcProviderArn": self.oidc_provider_arn,
                               "kubeconfig": self.kubeconfig})

    def _cluster(self, name: str, args: EksClusterArgs, cidr: pulumi.Output[str]) -> eks.Cluster:
        settings = args.settings
        key_arn = settings.kms_key_arn or self._secrets_key(name, args).arn
        return eks.Cluster(
            name, name=args.cluster_name, version=settings.version,
            vpc_id=args.vpc_id, private_subnet_ids=args.private_subnet_ids,
            node_associate_public_ip_address=False,
            skip_default_node_group=True,
            # Every node — managed, self-managed — and the control plane share the security group
            # EKS creates for the cluster, which admits all traffic among its members: DNS, pod to
            # pod and kubelet traffic flow between node groups of either kind.
            skip_default_security_groups=True,
            kubernetes_service_ip_address_range=cidr,
            authentication_mode=eks.AuthenticationMode.API,
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
            # CoreDNS is created below, once the cluster has capacity.
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=True),
            use_default_vpc_cni=False,  # pulumi-eks installs vpc-cni as a managed add-on
            # The vpc-cni network policy agent enforces the workloads' NetworkPolicies on nodes.
            vpc_cni_options=eks.VpcCniOptionsArgs(enable_network_policy=True),
            opts=pulumi.ResourceOptions(parent=self))

    def _private_api_access(self, name: str, cidrs: Sequence[str],
                            security_group_id: pulumi.Output[str]) -> None:
        for block in cidrs:
            # Who may reach the private endpoint (a VPN, a CI runner's subnet). Named by the CIDR,
            # so removing one never renumbers (and re-creates) the others.
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-api-{block.replace('.', '-').replace('/', '-')}",
                security_group_id=security_group_id, ip_protocol="tcp",
                from_port=KUBERNETES_API_PORT, to_port=KUBERNETES_API_PORT, cidr_ipv4=block,
                description="Kubernetes API from a private network",
                opts=pulumi.ResourceOptions(parent=self))

    def _capacity(self, name: str, args: EksClusterArgs, cluster: eks.Cluster,
                  cidr: pulumi.Output[str], security_group_id: pulumi.Output[str],
                  fargate_only: bool) -> list[pulumi.Resource]:
        """What pods run on: the node groups and the Fargate profiles."""
        settings = args.settings
        bootstrap = pulumi.Output.all(cluster.kubeconfig_json, cidr).apply(
            lambda values: _bootstrap(*values))
        capacity: list[pulumi.Resource] = [
            EksNodeGroup(f"{name}-{group.name}", EksNodeGroupArgs(
                group, cluster, args.cluster_name, settings.version, args.private_subnet_ids,
                security_group_id, bootstrap, previous_parent=self),
                opts=pulumi.ResourceOptions(parent=self)).capacity
            for group in settings.node_groups]
        capacity += self._fargate_profiles(name, args, cluster, fargate_only)
        return capacity

    def _system_addons(self, name: str, cluster: eks.Cluster, version: str,
                       capacity: list[pulumi.Resource], fargate_only: bool) -> list[pulumi.Resource]:
        """CoreDNS and metrics-server (what workloads wait for), and the Pod Identity agent."""
        after_capacity = pulumi.ResourceOptions(parent=self, depends_on=capacity)
        coredns = self._addon(
            name, "coredns", version, after_capacity,
            configuration={"computeType": "Fargate"} if fargate_only else None,
            # The Cluster component used to create this add-on; the alias keeps it one resource.
            previous_parent=cluster, preserve=True)
        metrics_server = self._addon(name, "metrics-server", version, after_capacity)
        if not fargate_only:
            # The Pod Identity agent is a DaemonSet: it runs on nodes, not on Fargate.
            self._addon(name, "eks-pod-identity-agent", version, after_capacity,
                        resource_name=f"{name}-pod-identity-agent")
        return [coredns, metrics_server]

    def _admin(self, name: str, principal_arn: str, index: int, cluster: eks.Cluster) -> None:
        """A cluster-admin access entry, named after its principal: adding or removing an admin
        never renames (re-creates) the others' entries, which the list-position names pulumi-eks
        gives its `accessEntries` did, colliding with the live entry (409)."""
        key = f"{name}-admin-{principal_name(principal_arn)}"
        # pulumi-eks made these entries before, as its children `<name>-admin-<index>`.
        old_name = f"{name}-admin-{index}"
        old_entry = cluster.urn.apply(lambda urn: _child_urn(urn, "aws:eks/accessEntry:AccessEntry",
                                                             old_name))
        entry = aws.eks.AccessEntry(
            key, cluster_name=self._cluster_name, principal_arn=principal_arn, type="STANDARD",
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[cluster], delete_before_replace=True,
                aliases=[pulumi.Alias(name=old_name, parent=cluster)]))
        aws.eks.AccessPolicyAssociation(
            f"{key}-cluster-admin", cluster_name=self._cluster_name, principal_arn=principal_arn,
            policy_arn=CLUSTER_ADMIN_POLICY,
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            opts=pulumi.ResourceOptions(
                parent=entry, depends_on=[entry], delete_before_replace=True,
                aliases=[pulumi.Alias(name=f"{old_name}-cluster-admin", parent=old_entry)]))

    def _addon(self, name: str, addon: str, version: str, opts: pulumi.ResourceOptions,
               configuration: Optional[dict] = None,
               previous_parent: Optional[pulumi.Resource] = None,
               preserve: Optional[bool] = None,
               resource_name: Optional[str] = None) -> aws.eks.Addon:
        # The newest version for the cluster's Kubernetes version, as pulumi-eks picks for the
        # add-ons it makes (so the CoreDNS it used to create is never downgraded): upgrading the
        # cluster upgrades its add-ons too, after the nodes (they depend on the capacity).
        addon_version = aws.eks.get_addon_version_output(
            addon_name=addon, kubernetes_version=version, most_recent=True,
            opts=pulumi.InvokeOptions(parent=self))
        aliases = [pulumi.Alias(parent=previous_parent)] if previous_parent else None
        return aws.eks.Addon(
            resource_name or f"{name}-{addon}", cluster_name=self._cluster_name, addon_name=addon,
            addon_version=addon_version.version,
            # Compact, as pulumi-eks's JSON.stringify wrote it: no diff on the adopted add-on.
            configuration_values=json.dumps(configuration, sort_keys=True, separators=(",", ":"))
            if configuration else None,
            resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="OVERWRITE",
            preserve=preserve,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=aliases)))

    def _fargate_profiles(self, name: str, args: EksClusterArgs, cluster: eks.Cluster,
                          fargate_only: bool) -> list[aws.eks.FargateProfile]:
        settings = args.settings
        if not settings.fargate_profiles and not fargate_only:
            return []
        pod_role = self._fargate_pod_role(name, args.cluster_name)
        profiles = {profile.name: [{"namespace": namespace} for namespace in profile.namespaces]
                    for profile in settings.fargate_profiles}
        if fargate_only:  # the system add-ons need somewhere to run too
            profiles.update(FARGATE_SYSTEM_PROFILES)
        return [aws.eks.FargateProfile(
            f"{name}-fargate-{profile_name}", cluster_name=args.cluster_name,
            fargate_profile_name=profile_name, pod_execution_role_arn=pod_role.arn,
            subnet_ids=args.private_subnet_ids,
            selectors=[aws.eks.FargateProfileSelectorArgs(**selector) for selector in selectors],
            # Every input forces a new profile and its name is fixed (unique per cluster): the
            # old profile goes first, and the pods it ran are rescheduled onto the new one.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster],
                                        delete_before_replace=True))
            for profile_name, selectors in profiles.items()]

    def _secrets_key(self, name: str, args: EksClusterArgs) -> aws.kms.Key:
        return encryption_key(
            f"{name}-secrets", description=f"EKS secrets envelope encryption for {args.cluster_name}",
            policy=iam.to_json(iam.eks_secrets_key_policy(self._account)),
            alias=f"{args.cluster_name}-eks-secrets", parent=self, protect=args.production)

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


def _child_urn(parent_urn: str, type_: str, name: str) -> str:
    """The URN of a child of `parent_urn` (Pulumi: the parent's qualified type, `$`, the type)."""
    stack, project, qualified_type, _ = parent_urn.split("::")
    return f"{stack}::{project}::{qualified_type}${type_}::{name}"


def _cluster_entry(kubeconfig_json: str) -> dict:
    return json.loads(kubeconfig_json)["clusters"][0]["cluster"]


def _bootstrap(kubeconfig_json: str, cidr: str) -> NodeBootstrap:
    entry = _cluster_entry(kubeconfig_json)
    return NodeBootstrap(endpoint=entry["server"],
                         certificate_authority=entry["certificate-authority-data"],
                         service_cidr=cidr)
