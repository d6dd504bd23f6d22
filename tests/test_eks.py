"""EKS: the cluster handed to pulumi-eks, node groups of each kind, Fargate, add-ons, outputs."""

from __future__ import annotations

import json

import pytest
from parliament import analyze_policy_string

from shipyard.engine import Plan, Secret
from tests.conftest import run_shipyard

CLUSTER = "eks:index:Cluster"
MANAGED = "eks:index:ManagedNodeGroup"
SELF_MANAGED = "eks:index:NodeGroupV2"
PROFILE = "aws:eks/fargateProfile:FargateProfile"
ADMIN = "arn:aws:iam::123456789012:role/platform-admins"
OFFICE = ["203.0.113.0/24"]
SERVICE = {"name": "api", "image": "ghcr.io/acme/api:1.2.3"}


def eks(production=False, **settings) -> Plan:
    return run_shipyard({"production": production, "services": [SERVICE],
                         "eks": {"enabled": True, "publicAccessCidrs": OFFICE, **settings}})


MANAGED_GROUP = {"name": "general", "instanceTypes": ["m6i.large"], "minSize": 2, "maxSize": 5,
                 "labels": {"tier": "general"},
                 "taints": [{"key": "dedicated", "value": "general", "effect": "NoSchedule"}]}
SELF_GROUP = {"name": "batch", "type": "selfManaged", "instanceTypes": ["c7g.large"],
              "capacityType": "SPOT", "spotPrice": "0.05", "minSize": 0, "maxSize": 4,
              "taints": [{"key": "workload", "value": "batch", "effect": "NoExecute"}]}


@pytest.fixture(scope="module")
def managed_only() -> Plan:
    return eks(nodeGroups=[MANAGED_GROUP], adminPrincipalArns=[ADMIN])


@pytest.fixture(scope="module")
def self_managed_only() -> Plan:
    return eks(nodeGroups=[SELF_GROUP])


@pytest.fixture(scope="module")
def mixed() -> Plan:
    return eks(nodeGroups=[MANAGED_GROUP, SELF_GROUP],
               fargateProfiles=[{"name": "jobs", "namespaces": ["jobs", "cron"]}])


@pytest.fixture(scope="module")
def fargate_only() -> Plan:
    return eks(fargateProfiles=[{"name": "apps", "namespaces": ["apps"]}])


# --- the cluster --------------------------------------------------------------------------------

def test_cluster_is_hardened(managed_only):
    cluster = managed_only.one(CLUSTER).inputs
    assert cluster["name"] == "shipyard-test"
    assert cluster["version"] == "1.35"
    assert cluster["skipDefaultNodeGroup"] is True
    assert cluster["authenticationMode"] == "API"
    assert cluster["createOidcProvider"] is True
    assert cluster["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]
    assert cluster["endpointPrivateAccess"] is True
    assert cluster["nodeAssociatePublicIpAddress"] is False
    assert len(cluster["privateSubnetIds"]) == 2 and "publicSubnetIds" not in cluster
    assert cluster["encryptionConfigKeyArn"].startswith("arn:aws:kms:us-east-1:123456789012:key/")


def test_public_endpoint_is_limited_to_the_listed_cidrs(managed_only):
    cluster = managed_only.one(CLUSTER).inputs
    assert cluster["endpointPublicAccess"] is True
    assert cluster["publicAccessCidrs"] == OFFICE


def test_production_endpoint_is_private_by_default():
    cluster = eks(production=True, nodeGroups=[MANAGED_GROUP], publicAccessCidrs=[]).one(CLUSTER).inputs
    assert cluster["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in cluster
    assert cluster["deletionProtection"] is True


def test_secrets_key_is_rotated_and_protected_in_production():
    plan = eks(production=True, nodeGroups=[MANAGED_GROUP], endpointPublicAccess=False)
    key = plan.one("aws:kms/key:Key", "shipyard-test-secrets")  # not the log key
    assert key.inputs["enableKeyRotation"] is True
    assert key.protect is True
    assert eks(nodeGroups=[MANAGED_GROUP]).one("aws:kms/key:Key").protect is False


def test_a_given_kms_key_is_used_instead_of_a_new_one():
    arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    plan = eks(nodeGroups=[MANAGED_GROUP], kmsKeyArn=arn)
    assert plan.of_type("aws:kms/key:Key") == []
    assert plan.one(CLUSTER).inputs["encryptionConfigKeyArn"] == arn


def test_access_entries_grant_cluster_admin_to_the_configured_principals(managed_only):
    entries = managed_only.one(CLUSTER).inputs["accessEntries"]
    assert entries == {"admin-0": {
        "principalArn": ADMIN,
        "accessPolicies": {"cluster-admin": {
            "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            "accessScope": {"type": "cluster"}}}}}


def test_managed_add_ons(managed_only):
    cluster = managed_only.one(CLUSTER).inputs
    assert cluster["corednsAddonOptions"]["enabled"] is True
    assert "configurationValues" not in cluster["corednsAddonOptions"]  # CoreDNS runs on nodes
    assert cluster["kubeProxyAddonOptions"]["enabled"] is True
    assert cluster["useDefaultVpcCni"] is False  # vpc-cni as a managed add-on
    assert managed_only.one("aws:eks/addon:Addon").inputs["addonName"] == "eks-pod-identity-agent"


def test_cluster_outputs(managed_only):
    outputs = managed_only.outputs
    assert outputs["eksClusterName"] == "shipyard-test"
    assert outputs["eksEndpoint"].startswith("https://") and outputs["eksEndpoint"].endswith(".eks.amazonaws.com")
    assert outputs["eksOidcProviderArn"].startswith("arn:aws:iam::123456789012:oidc-provider/")
    assert isinstance(outputs["kubeconfig"], Secret)
    assert json.loads(outputs["kubeconfig"].value)["clusters"][0]["cluster"]["server"] == outputs["eksEndpoint"]


# --- node groups --------------------------------------------------------------------------------

def test_managed_node_group(managed_only):
    group = managed_only.one(MANAGED).inputs
    assert group["instanceTypes"] == ["m6i.large"]
    assert group["capacityType"] == "ON_DEMAND"
    assert group["scalingConfig"] == {"minSize": 2, "maxSize": 5, "desiredSize": 2}
    assert group["amiType"] == "AL2023_x86_64_STANDARD"
    assert group["launchTemplate"]["id"].startswith("lt-")
    assert "diskSize" not in group and "enableIMDSv2" not in group  # both live in the template
    template = managed_only.one("aws:ec2/launchTemplate:LaunchTemplate", "shipyard-test-general").inputs
    assert template["metadataOptions"]["httpTokens"] == "required"
    assert template["metadataOptions"]["httpPutResponseHopLimit"] == 1
    ebs = template["blockDeviceMappings"][0]["ebs"]
    assert (ebs["volumeSize"], ebs["volumeType"], ebs["encrypted"]) == (20, "gp3", "true")
    assert "imageId" not in template and "userData" not in template  # EKS keeps managing the AMI
    assert group["labels"] == {"tier": "general"}
    assert group["taints"] == [{"key": "dedicated", "value": "general", "effect": "NO_SCHEDULE"}]
    assert len(group["subnetIds"]) == 2
    assert group["nodeRoleArn"].startswith("arn:aws:iam::123456789012:role/shipyard-test-general-node")
    assert managed_only.of_type(SELF_MANAGED) == [] and managed_only.of_type(PROFILE) == []


def test_node_role_has_worker_cni_and_ecr_read_policies(managed_only):
    attached = sorted(a.inputs["policyArn"] for a in managed_only.of_type(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if a.name.startswith("shipyard-test-general"))
    assert attached == ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
                        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]


def test_self_managed_node_group(self_managed_only):
    group = self_managed_only.one(SELF_MANAGED).inputs
    assert group["instanceType"] == "c7g.large"
    assert (group["minSize"], group["maxSize"], group["desiredCapacity"]) == (0, 4, 0)
    assert group["spotPrice"] == "0.05"
    assert group["nodeAssociatePublicIpAddress"] is False
    assert group["nodeRootVolumeEncrypted"] is True
    assert group["operatingSystem"] == "AL2023"
    assert group["amiType"] == "amazon-linux-2023/arm64"  # Graviton
    assert group["taints"] == {"workload": {"value": "batch", "effect": "NoExecute"}}
    assert len(group["nodeSubnetIds"]) == 2
    assert group["instanceProfileName"].startswith("shipyard-test-batch-node")
    roles = self_managed_only.one(CLUSTER).inputs["instanceRoles"]
    assert len(roles) == 1  # becomes an EC2_LINUX access entry


def test_mixed_capacity(mixed):
    assert len(mixed.of_type(MANAGED)) == 1 and len(mixed.of_type(SELF_MANAGED)) == 1
    [profile] = mixed.of_type(PROFILE)
    assert profile.inputs["fargateProfileName"] == "jobs"
    assert profile.inputs["selectors"] == [{"namespace": "jobs"}, {"namespace": "cron"}]
    assert len(profile.inputs["subnetIds"]) == 2
    assert "configurationValues" not in mixed.one(CLUSTER).inputs["corednsAddonOptions"]


def test_fargate_only_runs_coredns_on_fargate(fargate_only):
    assert fargate_only.of_type(MANAGED) == fargate_only.of_type(SELF_MANAGED) == []
    profiles = {p.inputs["fargateProfileName"]: p.inputs for p in fargate_only.of_type(PROFILE)}
    assert profiles["apps"]["selectors"] == [{"namespace": "apps"}]
    assert profiles["shipyard-coredns"]["selectors"] == [
        {"namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}}]
    coredns = fargate_only.one(CLUSTER).inputs["corednsAddonOptions"]
    assert coredns["configurationValues"] == {"computeType": "Fargate"}
    assert fargate_only.of_type("aws:eks/addon:Addon") == []  # no nodes for the agent DaemonSet


def test_fargate_pod_role_trusts_only_this_clusters_profiles(fargate_only):
    role = fargate_only.one("aws:iam/role:Role", "shipyard-test-fargate-pods")
    statement = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert statement["Principal"] == {"Service": "eks-fargate-pods.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == \
        "arn:aws:eks:us-east-1:123456789012:fargateprofile/shipyard-test/*"
    attachment = fargate_only.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                                  "shipyard-test-fargate-pods")
    assert attachment.inputs["policyArn"].endswith("AmazonEKSFargatePodExecutionRolePolicy")


def test_trust_policies_parse_and_identity_policies_lint_clean(mixed):
    for role in mixed.of_type("aws:iam/role:Role"):
        trust = json.loads(role.inputs["assumeRolePolicy"])
        assert trust["Version"] == "2012-10-17" and trust["Statement"]
    for policy in mixed.of_type("aws:iam/rolePolicy:RolePolicy"):
        assert analyze_policy_string(policy.inputs["policy"]).findings == []


def test_shipped_stacks_use_eks_as_intended(stack_plan):
    staging, prod = stack_plan("staging"), stack_plan("prod")
    assert len(staging.of_type(MANAGED)) == 1 and staging.of_type(SELF_MANAGED) == []
    assert len(prod.of_type(MANAGED)) == 1 and len(prod.of_type(SELF_MANAGED)) == 1
    assert prod.one(CLUSTER).inputs["endpointPublicAccess"] is False
