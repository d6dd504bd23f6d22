"""The facts rows of the resource types only the EKS platform's components register: the
cluster (pulumi-eks), its node groups, Fargate profiles, access entries and add-ons. Its
workloads are the Kubernetes platform's (shipyard/platforms/kubernetes/facts.py). What a row
holds: shipyard/review/resource_facts.py."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Iterator, Sequence

from shipyard.aws.names import FromBotocore, NameRule
from shipyard.platforms.eks.versions import EKS_SUPPORT_WINDOWS
from shipyard.review.cost import Line, Pricer, launch_template, root_volume_gb
from shipyard.review.mock_values import ACCOUNT_ID, MockCall, digest, kubeconfig
from shipyard.review.resource_facts import EVERY_INPUT, NAMELESS, TF, ResourceFacts

if TYPE_CHECKING:
    from shipyard.review.engine import Resource

_NODE_GROUP = ("nodeGroupName", "nodeGroupNamePrefix", "subnetIds", "instanceTypes",
               "capacityType", "amiType", "nodeRoleArn", "diskSize", "remoteAccess")
# EKS user guide / pulumi-aws eks.NodeGroup docs: at most 63 characters, starting with a letter
# or digit, then letters, digits, hyphens and underscores.
_NODE_GROUP_NAME = NameRule(
    "nodeGroupName", "parent", 1, 63, r"[A-Za-z0-9][A-Za-z0-9_-]*",
    "EKS CreateNodegroup nodegroupName (EKS docs): at most 63 characters, a letter or digit "
    "first, then letters, digits, '-' and '_'", auto_named=True)
_CLUSTER_NAME = FromBotocore("name", "region", "eks", "CreateCluster", "name", auto_named=True)
COREDNS_PODS = 2
COREDNS_VCPU, COREDNS_MIB = 0.1, 70
# metrics-server's chart defaults: one replica requesting 100m CPU and 200Mi memory.
METRICS_SERVER_PODS = 1
METRICS_SERVER_VCPU, METRICS_SERVER_MIB = 0.1, 200
# Pods Shipyard runs on Fargate itself when a cluster has no nodes: (profile, replicas, vCPU, MiB).
SYSTEM_FARGATE_PODS = (("shipyard-coredns", "CoreDNS", COREDNS_PODS, COREDNS_VCPU, COREDNS_MIB),
                       ("shipyard-kube-system", "metrics-server", METRICS_SERVER_PODS,
                        METRICS_SERVER_VCPU, METRICS_SERVER_MIB))


def _cluster(call: MockCall) -> dict:
    cluster = call.inputs.get("name") or call.name
    host = digest(call.type, call.digest, length=32).upper()
    config = kubeconfig(cluster, f"https://{host}.gr7.{call.region}.eks.amazonaws.com")
    issuer = f"oidc.eks.{call.region}.amazonaws.com/id/{host}"
    return {"kubeconfig": config, "kubeconfigJson": json.dumps(config),
            "oidcIssuer": issuer, "oidcProviderUrl": f"https://{issuer}",
            "oidcProviderArn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{issuer}",
            "clusterSecurityGroupId": f"sg-{call.digest}",
            "nodeSecurityGroupId": f"sg-{call.digest[::-1]}"}


def _control_planes(pricer: Pricer, clusters: Sequence[Resource]) -> Iterator[Line]:
    for cluster in clusters:
        standard_end = EKS_SUPPORT_WINDOWS.get(cluster.inputs["version"], (date.max,))[0]
        extended = pricer.priced_on > standard_end
        yield pricer.hourly(f"EKS control plane {cluster.inputs['name']}", 1,
                            "eks_extended_support_hour" if extended else "eks_control_plane_hour",
                            note="extended support" if extended else "")


def _managed_nodes(pricer: Pricer, groups: Sequence[Resource]) -> Iterator[Line]:
    for group in groups:
        yield from pricer.ec2(f"EKS managed nodes {group.name}",
                              group.inputs["scalingConfig"]["desiredSize"],
                              group.inputs["instanceTypes"][0],
                              root_volume_gb(launch_template(pricer.plan, group)))


def _system_pods(pricer: Pricer, profiles: Sequence[Resource]) -> Iterator[Line]:
    """The cluster's own pods on Fargate (a service's pods are priced with its Deployment)."""
    names = {p.inputs["fargateProfileName"] for p in profiles}
    for profile, label, pods, vcpu, mib in SYSTEM_FARGATE_PODS:
        if profile in names:
            yield pricer.eks_fargate_pods(f"EKS Fargate pods {label}", pods, vcpu, mib)


# What the cost report calls the instances of its Auto Scaling groups.
INSTANCES_ITEM = "EKS self-managed nodes"

FACTS: dict[str, ResourceFacts] = {
    "eks:index:Cluster": ResourceFacts(
        "clusters", ("name",), unique_by=("name",), holds="the cluster and every workload on it",
        protected_by="deletionProtection", one_minor_step=("version",),
        source="pulumi-eks nodejs/eks/cluster.ts (its aws.eks.Cluster: name and role ForceNew; "
        "version, subnets and logging update in place)",
        key_settings=("name", "version", "endpointPublicAccess", "authenticationMode"),
        outputs=_cluster, name_rule=_CLUSTER_NAME, cost=_control_planes),
    # UpdateClusterVersion moves one minor version at a time (EKS user guide, "Update existing
    # cluster to new Kubernetes version": "you can update only one minor version at a time").
    "aws:eks/cluster:Cluster": ResourceFacts(
        "clusters", ("name", "roleArn", "kubernetesNetworkConfig"), unique_by=("name",),
        holds="every workload on it", protected_by="deletionProtection",
        one_minor_step=("version",), source=TF + "eks/cluster.go", name_rule=_CLUSTER_NAME),
    # pulumi-eks answers nodeGroup (its aws.eks.NodeGroup) as a resource reference, which the
    # offline engine reads as None (shipyard/review/engine.py).
    "eks:index:ManagedNodeGroup": ResourceFacts(
        "clusters", _NODE_GROUP, source="pulumi-eks nodejs/eks/nodegroup.ts "
        "createManagedNodeGroup (its aws.eks.NodeGroup; auto-named, so a replacement exists "
        "beside the old group)",
        key_settings=("instanceTypes", "capacityType", "scalingConfig", "version"),
        outputs={"nodeGroup": None}, name_rule=_NODE_GROUP_NAME, cost=_managed_nodes),
    "aws:eks/nodeGroup:NodeGroup": ResourceFacts(
        "clusters", _NODE_GROUP, unique_by=("clusterName", "nodeGroupName"),
        source=TF + "eks/node_group.go", name_rule=_NODE_GROUP_NAME),
    # awslabs cdk-eks-blueprints FargateProfileConstraints: 1..63 characters (DNS limits).
    "aws:eks/fargateProfile:FargateProfile": ResourceFacts(
        "clusters", (EVERY_INPUT,), unique_by=("clusterName", "fargateProfileName"),
        source=TF + "eks/fargate_profile.go (every argument ForceNew but tags)",
        key_settings=("fargateProfileName", "selectors"), arn=("eks", "fargateprofile/{name}"),
        name_rule=NameRule("fargateProfileName", "parent", 1, 63, r"[A-Za-z0-9][A-Za-z0-9_-]*",
                           "EKS CreateFargateProfile fargateProfileName: 1-63 characters (EKS "
                           "Blueprints' FargateProfileConstraints)"), cost=_system_pods),
    "aws:eks/accessEntry:AccessEntry": ResourceFacts(
        "clusters", ("clusterName", "principalArn", "type"),
        unique_by=("clusterName", "principalArn"), source=TF + "eks/access_entry.go",
        key_settings=("type",), name_rule=NAMELESS),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": ResourceFacts(
        "clusters", ("clusterName", "principalArn", "policyArn", "accessScope"),
        unique_by=("clusterName", "principalArn", "policyArn"),
        source=TF + "eks/access_policy_association.go", name_rule=NAMELESS),
    "aws:eks/addon:Addon": ResourceFacts(
        "clusters", ("clusterName", "addonName"), unique_by=("clusterName", "addonName"),
        source=TF + "eks/addon.go (addon_version updates in place)",
        key_settings=("addonName", "addonVersion", "configurationValues"),
        arn=("eks", "addon/{name}"), name_rule=NAMELESS),
}
