"""What pulumi-eks does with Shipyard's `eks:index:*` inputs, as the project's own tests.

The mocks record pulumi-eks's components as single resources and echo their inputs, so its own
code never runs here. These tests keep the properties that matter, derived from reading that
code (github.com/pulumi/pulumi-eks, nodejs/eks, at 7bf0c1b1 of 2026-08-12, the 4.x line of the
pulumi-eks 4.4.0 SDK that requirements.txt installs):

- `cluster/authenticationMode.ts` `validateAuthenticationMode`: authenticationMode is one of
  CONFIG_MAP, API_AND_CONFIG_MAP, API; under API, roleMappings, userMappings and instanceRoles
  must be empty; accessEntries need a mode with access entries.
- `cluster/cluster.ts` `createCore`: instanceRole and instanceRoles are exclusive; subnetIds
  excludes public/privateSubnetIds; nodeGroupOptions excludes the singular node options.
- What it creates from these inputs (same file): the cluster security group unless
  skipDefaultSecurityGroups; a default node group (and its EC2_LINUX access entry) unless
  skipDefaultNodeGroup or fargate; CoreDNS when there is a default node group or fargate,
  unless corednsAddonOptions.enabled is false — Shipyard installs its own CoreDNS add-on after
  its capacity exists; kube-proxy unless kubeProxyAddonOptions.enabled is false; its own VPC CNI
  add-on unless useDefaultVpcCni; access entries only from accessEntries (Shipyard makes its
  own, keyed by principal, instead of pulumi-eks's keys).

These replace a check that ran pulumi-eks's TypeScript under Node mocks from a tool outside
this repository (it carried fetched third-party code, which the project may not ship).
"""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.review import engine
from tests.conftest import PROJECT

OFFICE = ["203.0.113.0/24"]
ADMINS = ["arn:aws:iam::123456789012:role/platform-admins",
          "arn:aws:iam::123456789012:user/alice",
          "arn:aws:iam::123456789012:role/shipyard-deploy"]  # the deployer: skipped, not doubled
MANAGED = {"name": "general", "instanceTypes": ["m6i.large", "m7i.large"], "minSize": 2}
SPOT = {"name": "spot", "instanceTypes": ["m6i.large", "m5.large"], "capacityType": "SPOT"}
SELF_X86 = {"name": "system", "type": "selfManaged", "instanceTypes": ["c6i.large"]}
SELF_GRAVITON = {"name": "arm", "type": "selfManaged", "instanceTypes": ["m7g.large"],
                 "capacityType": "SPOT", "spotPrice": "0.06",
                 "labels": {"arch": "arm64"}}
SERVICE = {"name": "api", "image": "ghcr.io/acme/api:1.2.3", "architectures": ["amd64", "arm64"]}


def _eks(**settings: Any) -> dict[str, Any]:
    return {"aws:region": "us-east-1", "shipyard:services": [SERVICE],
            "shipyard:eks": {"enabled": True, "publicAccessCidrs": OFFICE, **settings}}


CONFIGS: dict[str, dict[str, Any]] = {
    "managed": _eks(nodeGroups=[MANAGED]),
    "managed-spot": _eks(nodeGroups=[SPOT]),
    "self-managed-x86": _eks(nodeGroups=[SELF_X86]),
    "self-managed-graviton": _eks(nodeGroups=[{**SELF_GRAVITON, "capacityType": "ON_DEMAND",
                                               "spotPrice": None}]),
    "fargate-only": _eks(fargateProfiles=[{"name": "apps", "namespaces": ["apps"]}]),
    "mixed": _eks(nodeGroups=[MANAGED, SPOT, SELF_X86, SELF_GRAVITON],
                  fargateProfiles=[{"name": "jobs", "namespaces": ["jobs"]}]),
    "private-endpoint": {**_eks(endpointPublicAccess=False, publicAccessCidrs=[],
                                privateAccessCidrs=["10.0.0.0/16"], nodeGroups=[MANAGED]),
                         "shipyard:deploy": {"bootstrapped": True}},
    "admin-principals": _eks(adminPrincipalArns=ADMINS, nodeGroups=[MANAGED]),
}
EXAMPLE = PROJECT / "examples" / "two-service-app" / "Pulumi.eks.yaml"
CASES = ["stack:staging", "stack:prod", "example:two-service-app", *CONFIGS]


def _plan(case: str) -> engine.Plan:
    if case.startswith("stack:"):
        return engine.run(case.removeprefix("stack:"))
    if case.startswith("example:"):
        return engine.run("eks", stack_file=EXAMPLE)
    config = {k: v for k, v in CONFIGS[case].items()}
    return engine.run(f"check-{case}", config=config)




def _plan(case: str) -> engine.Plan:
    if case.startswith("stack:"):
        return engine.run(case.removeprefix("stack:"))
    if case.startswith("example:"):
        return engine.run("eks", stack_file=EXAMPLE)
    return engine.run(f"check-{case}", config=CONFIGS[case])


@pytest.fixture(scope="module")
def clusters() -> dict[str, dict[str, Any]]:
    found = {}
    for case in CASES:
        [cluster] = _plan(case).of_type("eks:index:Cluster")
        found[case] = dict(cluster.inputs)
    return found


AUTHENTICATION_MODES = {"CONFIG_MAP", "API_AND_CONFIG_MAP", "API"}
SINGULAR_NODE_OPTIONS = ("nodeSubnetIds", "nodeAssociatePublicIpAddress", "instanceType",
                         "instanceProfileName", "nodePublicKey", "nodeRootVolumeSize",
                         "nodeUserData", "minSize", "maxSize", "desiredCapacity", "nodeAmiId", "gpu")


def rejections(inputs: dict[str, Any]) -> list[str]:
    """What pulumi-eks's input checks would throw for these `eks:index:Cluster` inputs."""
    found = []
    mode = inputs.get("authenticationMode")
    if mode and mode not in AUTHENTICATION_MODES:
        found.append(f"Invalid value for authenticationMode: {mode}")
    if mode == "API":  # no config map
        found += [f"{prop} must be empty under API" for prop in
                  ("roleMappings", "userMappings", "instanceRoles") if inputs.get(prop)]
    if mode in (None, "CONFIG_MAP") and inputs.get("accessEntries"):
        found.append("accessEntries need access entries")
    if inputs.get("instanceRole") and inputs.get("instanceRoles"):
        found.append("instanceRole and instanceRoles are mutually exclusive")
    if inputs.get("subnetIds") and (inputs.get("publicSubnetIds") or inputs.get("privateSubnetIds")):
        found.append("subnetIds excludes publicSubnetIds/privateSubnetIds")
    if inputs.get("nodeGroupOptions") and any(inputs.get(k) for k in SINGULAR_NODE_OPTIONS):
        found.append("nodeGroupOptions excludes the singular node group options")
    return found


def created(inputs: dict[str, Any]) -> dict[str, int]:
    """What pulumi-eks creates from these inputs, by the rules of cluster.ts (module docstring)."""
    default_node_group = not (inputs.get("skipDefaultNodeGroup") or inputs.get("fargate"))
    coredns = (inputs.get("corednsAddonOptions") or {}).get("enabled")
    addons = {"kube-proxy": (inputs.get("kubeProxyAddonOptions") or {}).get("enabled", True),
              "coredns": coredns is True or (
                  (default_node_group or bool(inputs.get("fargate"))) and coredns is not False)}
    return {"aws:eks/cluster:Cluster": 1,
            "aws:eks/addon:Addon": sum(addons.values()),
            "vpc-cni": int(not inputs.get("useDefaultVpcCni")),
            "coredns": int(addons["coredns"]),
            "aws:ec2/securityGroup:SecurityGroup": int(not inputs.get("skipDefaultSecurityGroups")),
            "default node group": int(default_node_group),
            "aws:eks/accessEntry:AccessEntry": len(inputs.get("accessEntries") or {})
            + int(default_node_group and inputs.get("authenticationMode") != "CONFIG_MAP")}


@pytest.mark.parametrize("case", CASES)
def test_pulumi_eks_accepts_the_inputs(clusters, case):
    assert rejections(clusters[case]) == []


@pytest.mark.parametrize("case", CASES)
def test_pulumi_eks_creates_the_cluster_kube_proxy_and_vpc_cni_and_nothing_shipyard_makes(
        clusters, case):
    assert created(clusters[case]) == {
        "aws:eks/cluster:Cluster": 1, "aws:eks/addon:Addon": 1, "vpc-cni": 1, "coredns": 0,
        # every node sits on the security group EKS creates for the cluster
        "aws:ec2/securityGroup:SecurityGroup": 0,
        "default node group": 0,
        # admin and node access entries are Shipyard's own, keyed by principal
        "aws:eks/accessEntry:AccessEntry": 0}


def test_the_rules_fire_on_what_pulumi_eks_rejects(clusters):
    inputs = clusters["managed"]
    assert rejections({**inputs, "authenticationMode": "IAM"}) == [
        "Invalid value for authenticationMode: IAM"]
    assert rejections({**inputs, "roleMappings": [{"roleArn": "arn"}]}) == [
        "roleMappings must be empty under API"]
    assert rejections({**inputs, "subnetIds": ["subnet-1"]}) == [
        "subnetIds excludes publicSubnetIds/privateSubnetIds"]
    assert created({**inputs, "corednsAddonOptions": None, "fargate": True})["coredns"] == 1
    assert created({**inputs, "skipDefaultNodeGroup": False})["default node group"] == 1


@pytest.mark.parametrize("case, groups", [("mixed", 2), ("stack:prod", 1)])
def test_managed_node_groups_are_built_by_pulumi_eks(case, groups):
    assert len(_plan(case).of_type("eks:index:ManagedNodeGroup")) == groups
