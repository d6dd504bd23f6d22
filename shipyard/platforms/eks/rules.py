"""The config rules only EKS has: its cluster, node groups, Fargate profiles and endpoint."""

from __future__ import annotations

from typing import Iterator

from shipyard.aws import models as aws_models
from shipyard.aws.ami import is_graviton
from shipyard.config.rules import (
    Problem,
    arns_outside,
    duplicates,
    repeats,
    size_bounds,
)
from shipyard.config.schema import StackConfig
from shipyard.platforms.eks import capacity
from shipyard.platforms.eks.nodes import BLOCKING_TAINT_EFFECTS, FARGATE_SYSTEM_PROFILES
from shipyard.platforms.eks.spec import NodeGroup
from shipyard.services import architectures


def admin_principals(config: StackConfig) -> Iterator[Problem]:
    """EKS allows one access entry per principal (botocore's eks model, CreateAccessEntry)."""
    for index, first, _ in repeats(config.eks.admin_principal_arns):
        yield ("eks", "adminPrincipalArns", index), (
            f"duplicate of adminPrincipalArns[{first}]: EKS allows one access entry per principal")


def eks_cluster(config: StackConfig) -> Iterator[Problem]:
    eks = config.eks
    if not eks.enabled:
        return
    if not eks.node_groups and not eks.fargate_profiles:
        yield ("eks", "nodeGroups"), (
            "EKS needs capacity: add a node group or a Fargate profile (eks.fargateProfiles)")
    if config.eks.endpoint_public(config) and not eks.public_access_cidrs:
        yield ("eks", "publicAccessCidrs"), (
            "required while the endpoint is public: list the CIDRs allowed to reach it "
            "(0.0.0.0/0 for anyone), or set endpointPublicAccess to false")
    for index, group in enumerate(eks.node_groups):
        at = ("eks", "nodeGroups", index)
        if group.type == "selfManaged":
            if len(group.instance_types) != 1:
                yield (*at, "instanceTypes"), "selfManaged node groups take exactly one instance type"
            if group.capacity_type == "SPOT" and group.spot_price is None:
                yield (*at, "spotPrice"), "required for selfManaged SPOT node groups"
        if group.spot_price is not None and not (
                group.type == "selfManaged" and group.capacity_type == "SPOT"):
            yield (*at, "spotPrice"), "only used by selfManaged SPOT node groups"


# Label prefixes EKS managed node groups refuse (kubernetes/cloud-provider-aws#242,
# aws/containers-roadmap#1451) and those the kubelet refuses in --node-labels unless allowed
# (k8s.io/kubernetes cmd/kubelet/app/options, KubeletLabelNamespaces / KubeletLabels).
_MANAGED_RESERVED_DOMAINS = ("kubernetes.io", "k8s.io", "eks.amazonaws.com")


_KUBELET_LABEL_DOMAINS = ("kubelet.kubernetes.io", "node.kubernetes.io")


_KUBELET_LABELS = {
    "kubernetes.io/hostname", "kubernetes.io/arch", "kubernetes.io/os",
    "beta.kubernetes.io/arch", "beta.kubernetes.io/os", "beta.kubernetes.io/instance-type",
    "node.kubernetes.io/instance-type", "failure-domain.beta.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone", "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone"}


def _in_domain(domain: str, parents: tuple[str, ...]) -> bool:
    return any(domain == parent or domain.endswith("." + parent) for parent in parents)


def _label_key_problem(group: NodeGroup, key: str) -> str | None:
    domain = key.split("/", 1)[0] if "/" in key else ""
    if group.type == "managed":
        problem = aws_models.problem(key, aws_models.shape("eks", "labelKey"), "EKS")
        if problem:
            return problem
        if _in_domain(domain, _MANAGED_RESERVED_DOMAINS):
            return f"uses the reserved prefix '{domain}/', which EKS managed node groups refuse"
    elif (_in_domain(domain, ("kubernetes.io", "k8s.io")) and key not in _KUBELET_LABELS
          and not _in_domain(domain, _KUBELET_LABEL_DOMAINS)):
        return (f"uses the reserved prefix '{domain}/', which the kubelet refuses in "
                f"--node-labels (allowed there: kubelet.kubernetes.io/, node.kubernetes.io/)")
    return None


def node_group_labels_and_taints(config: StackConfig) -> Iterator[Problem]:
    """EKS's API limits for managed groups (botocore: labelKey/labelValue/taintKey/taintValue);
    the kubelet's for self-managed ones; no repeated taint."""
    for index, group in enumerate(config.eks.node_groups):
        at = ("eks", "nodeGroups", index)
        for key, value in group.labels.items():
            problem = _label_key_problem(group, key)
            if problem:
                yield (*at, "labels", key), problem
            elif group.type == "managed":
                problem = aws_models.problem(value, aws_models.shape("eks", "labelValue"), "EKS")
                if problem:
                    yield (*at, "labels", key), f"value {problem}"
        for position, taint in enumerate(group.taints):
            if group.type == "managed":
                for field, value in (("key", taint.key), ("value", taint.value)):
                    problem = aws_models.problem(
                        value, aws_models.member_shape("eks", "Taint", field), "EKS")
                    if problem:
                        yield (*at, "taints", position, field), problem
        # A node has one taint per key and effect (Kubernetes' node validation: "taints must be
        # unique by key and effect pair"); a second one would be refused, or lost.
        for position, first, (key, effect) in repeats([(t.key, t.effect) for t in group.taints]):
            yield (*at, "taints", position, "key"), (
                f"repeats taints[{first}] ({key} {effect}): a node has one taint per key and "
                f"effect")


def node_group_architecture(config: StackConfig) -> Iterator[Problem]:
    """A managed node group has one AMI type, so one CPU architecture."""
    for index, group in enumerate(config.eks.node_groups):
        kinds = {is_graviton(t) for t in group.instance_types}
        if group.type == "managed" and len(kinds) > 1:
            arm = [t for t in group.instance_types if is_graviton(t)]
            yield ("eks", "nodeGroups", index, "instanceTypes"), (
                f"mixes arm64 (Graviton: {', '.join(arm)}) and x86_64 instance types, but a "
                f"managed node group has one AMI type: split it into two groups")


def eks_system_capacity(config: StackConfig) -> Iterator[Problem]:
    """CoreDNS and metrics-server need a node they may run on, or Fargate; without one the
    CoreDNS add-on never becomes healthy and `pulumi up` times out."""
    eks = config.eks
    if not eks.enabled:
        return
    for index, profile in enumerate(eks.fargate_profiles):
        if profile.name in FARGATE_SYSTEM_PROFILES:
            yield ("eks", "fargateProfiles", index, "name"), (
                f"'{profile.name}' is reserved for Shipyard's own system profiles")
    # minSize, not desiredSize: the capacity that stays however the group is scaled.
    if eks.node_groups and not any(
            group.min_size >= 1 and not any(t.effect in BLOCKING_TAINT_EFFECTS for t in group.taints)
            for group in eks.node_groups):
        yield ("eks", "nodeGroups"), (
            "no node group can run the cluster's own add-ons (CoreDNS, metrics-server): give one "
            "group minSize >= 1 and no NoSchedule/NoExecute taint")


def eks_fargate_pods(config: StackConfig) -> Iterator[Problem]:
    """Pods run on Fargate when their namespace is in a Fargate profile, or when there are no
    nodes at all."""
    eks = config.eks
    services = config.services_on("eks")
    if not eks.enabled or not services:
        return
    covered = any(eks.namespace in profile.namespaces for profile in eks.fargate_profiles)
    if not eks.node_groups and not covered:
        yield ("eks", "fargateProfiles"), (
            f"no Fargate profile covers the services' namespace '{eks.namespace}' and there are no "
            "node groups: their pods would stay Pending (add it to a profile's namespaces)")
    if covered or not eks.node_groups:
        for index, service in enumerate(config.services):
            if service.public and config.runs_on(service, "eks"):
                yield ("services", index, "public"), (
                    "public services cannot run on EKS Fargate pods: the cluster's load balancers "
                    "target nodes, and Fargate pods have none (run the service on a node group, "
                    "on ECS, or keep it private)")


def eks_reachable_on_first_up(config: StackConfig) -> Iterator[Problem]:
    """Some network must reach the API endpoint when the first `pulumi up` deploys the services
    onto the cluster it has just created (shipyard/aws/reachability.py)."""
    eks = config.eks
    if not eks.enabled or config.eks.endpoint_public(config):
        return
    if not config.network.existing and not config.deploy.bootstrapped:
        default = " (the production default)" if eks.endpoint_public_access is None else ""
        yield ("eks", "endpointPublicAccess"), (
            f"the API endpoint is private{default} in a VPC this stack creates, so nothing can "
            "reach it on the first `pulumi up` (neither the VPC nor a VPN, peering or transit "
            "gateway to it exists yet) and every Kubernetes object would fail: make it public "
            "to your runner's egress (endpointPublicAccess: true, publicAccessCidrs), deploy "
            "into an existing VPC your runner reaches (shipyard:network.vpcId), or, once the "
            "stack exists, set shipyard:deploy.bootstrapped (docs/eks.md: where `pulumi up` runs)")
    elif not eks.private_access_cidrs:
        yield ("eks", "privateAccessCidrs"), (
            "required while the API endpoint is private: list the networks `pulumi up` runs from "
            "(a VPN range, a CI runner's subnet), or Shipyard cannot deploy to the cluster")


def eks_unique_names(config: StackConfig) -> Iterator[Problem]:
    yield from duplicates(("eks", "nodeGroups"), [g.name for g in config.eks.node_groups])
    yield from duplicates(("eks", "fargateProfiles"), [p.name for p in config.eks.fargate_profiles])


def eks_capacity_bounds(config: StackConfig) -> Iterator[Problem]:
    for index, group in enumerate(config.eks.node_groups):
        yield from size_bounds(("eks", "nodeGroups", index), group.min_size, group.max_size,
                               group.desired_size)


_NODE_ADVICE = {architectures.AMD64: "add a node group of x86 instance types (e.g. m6i.large)",
                architectures.ARM64: "add a node group of Graviton instance types (e.g. m7g.large)"}


def eks_architectures(config: StackConfig) -> Iterator[Problem]:
    """Pods run on Fargate (amd64 only) when their namespace is in a profile, otherwise on the
    node groups they may be scheduled on (shipyard/platforms/eks/capacity.py)."""
    eks = config.eks
    profile = capacity.fargate_profile(config)
    groups = capacity.schedulable_node_groups(config)
    if not (profile or groups):
        return  # the pods have no capacity at all: eks_cluster / eks_fargate_pods say so
    for mismatch in architectures.mismatches(config, "eks"):
        at = ("services", mismatch.index, "architectures")
        if profile:
            yield at, (f"{mismatch.claim}, but EKS runs the namespace '{eks.namespace}' on "
                       f"Fargate (fargateProfiles '{profile.name}') and EKS Fargate runs amd64 "
                       f"only: {mismatch.listing}, or take the namespace out of the profile to "
                       f"run the pods on {' and '.join(mismatch.image)} node groups")
        else:
            listed = ", ".join(f"{g.name}: {' and '.join(capacity.node_group_architectures(g))}"
                               for g in groups)
            yield at, (f"{mismatch.claim}, but the EKS node groups its pods may be scheduled on "
                       f"are {' and '.join(mismatch.runs)} only ({listed}): {mismatch.listing}, "
                       f"or {_NODE_ADVICE[mismatch.image[0]]}")


def cluster_key_region(config: StackConfig, region: str) -> Iterator[Problem]:
    yield from arns_outside(region, [(("eks", "kmsKeyArn"), config.eks.kms_key_arn,
                                      "EKS takes a KMS key from the cluster's region")])


RULES = (eks_unique_names, admin_principals, eks_cluster, eks_capacity_bounds,
         node_group_labels_and_taints, node_group_architecture, eks_architectures,
         eks_system_capacity, eks_fargate_pods, eks_reachable_on_first_up)
REGIONAL_RULES = (cluster_key_region,)
