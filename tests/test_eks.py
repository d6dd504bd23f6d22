"""EKS: the cluster handed to pulumi-eks, node groups of each kind, Fargate, add-ons, outputs."""

from __future__ import annotations

import base64
import json

import pytest
import yaml
from parliament import analyze_policy_string

from shipyard.config import ConfigError
from shipyard.review.engine import Plan, Resource, Secret
from shipyard.review.mock_values import digest
from tests.conftest import run_shipyard

CLUSTER = "eks:index:Cluster"
MANAGED = "eks:index:ManagedNodeGroup"
NODE_GROUP = "shipyard:eks:EksNodeGroup"
ASG = "aws:autoscaling/group:Group"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ADDON = "aws:eks/addon:Addon"
PROFILE = "aws:eks/fargateProfile:FargateProfile"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
DEPLOYER_ROLE = "arn:aws:iam::123456789012:role/shipyard-deploy"  # the mocks' caller
ADMIN = "arn:aws:iam::123456789012:role/platform-admins"
OFFICE = ["203.0.113.0/24"]
SERVICE = {"name": "api", "image": "ghcr.io/acme/api:1.2.3"}


def eks(production=False, bootstrapped=False, **settings) -> Plan:
    """`bootstrapped`: a stack past its first `pulumi up`, as a private-only endpoint needs."""
    return run_shipyard({"production": production, "services": [SERVICE],
                         "eks": {"enabled": True, "publicAccessCidrs": OFFICE, **settings},
                         **({"deploy": {"bootstrapped": True}} if bootstrapped else {})})


MANAGED_GROUP = {"name": "general", "instanceTypes": ["m6i.large"], "minSize": 2, "maxSize": 5,
                 "labels": {"tier": "general"},
                 "taints": [{"key": "spare", "value": "true", "effect": "PreferNoSchedule"}]}
SELF_GROUP = {"name": "batch", "type": "selfManaged", "instanceTypes": ["c7g.large"],
              "capacityType": "SPOT", "spotPrice": "0.05", "minSize": 0, "maxSize": 4,
              "labels": {"workload": "batch"},
              "taints": [{"key": "workload", "value": "batch", "effect": "NoExecute"}]}
SYSTEM_GROUP = {"name": "system", "type": "selfManaged", "instanceTypes": ["m6i.large"],
                "minSize": 2, "maxSize": 3}


@pytest.fixture(scope="module")
def managed_only() -> Plan:
    return eks(nodeGroups=[MANAGED_GROUP], adminPrincipalArns=[ADMIN])


@pytest.fixture(scope="module")
def self_managed_only() -> Plan:
    return eks(nodeGroups=[SYSTEM_GROUP, SELF_GROUP])


@pytest.fixture(scope="module")
def mixed() -> Plan:
    return eks(nodeGroups=[MANAGED_GROUP, SELF_GROUP],
               fargateProfiles=[{"name": "jobs", "namespaces": ["jobs", "cron"]}])


@pytest.fixture(scope="module")
def fargate_only() -> Plan:
    return eks(fargateProfiles=[{"name": "apps", "namespaces": ["apps"]}])


def addons(plan: Plan) -> dict[str, Resource]:
    return {a.inputs["addonName"]: a for a in plan.of_type(ADDON)}


def ami_for(parameter: str) -> str:
    return f"ami-{digest(parameter)}"  # what the mocks answer for that SSM parameter


def user_data(template: Resource) -> dict:
    """The nodeadm NodeConfig documents in a launch template's MIME user data, merged."""
    document = base64.b64decode(template.inputs["userData"]).decode()
    assert 'Content-Type: multipart/mixed; boundary="//SHIPYARD"' in document
    part = document.split("Content-Type: application/node.eks.aws\n\n", 1)[1].split("\n--//SHIPYARD--")[0]
    return yaml.safe_load(part)


# --- the cluster --------------------------------------------------------------------------------

def test_cluster_is_hardened(managed_only):
    cluster = managed_only.one(CLUSTER).inputs
    assert cluster["name"] == "shipyard-test"
    assert cluster["version"] == "1.35"
    assert cluster["skipDefaultNodeGroup"] is True
    assert cluster["authenticationMode"] == "API"
    assert "instanceRoles" not in cluster  # refused by pulumi-eks in API mode
    assert cluster["createOidcProvider"] is True
    assert cluster["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]
    assert cluster["endpointPrivateAccess"] is True
    assert cluster["nodeAssociatePublicIpAddress"] is False
    assert len(cluster["privateSubnetIds"]) == 2 and "publicSubnetIds" not in cluster
    assert cluster["encryptionConfigKeyArn"].startswith("arn:aws:kms:us-east-1:123456789012:key/")


def test_service_cidr_is_the_one_eks_would_pick_stated_explicitly(managed_only):
    # The VPC is 10.0.0.0/16, so EKS's own choice is 172.20.0.0/16; nodes are told the same.
    assert managed_only.one(CLUSTER).inputs["kubernetesServiceIpAddressRange"] == "172.20.0.0/16"
    outside_ten = run_shipyard({"services": [SERVICE], "network": {"cidrBlock": "192.168.0.0/16"},
                                "eks": {"enabled": True, "publicAccessCidrs": OFFICE,
                                        "nodeGroups": [MANAGED_GROUP]}})
    assert outside_ten.one(CLUSTER).inputs["kubernetesServiceIpAddressRange"] == "10.100.0.0/16"


def test_public_endpoint_is_limited_to_the_listed_cidrs(managed_only):
    cluster = managed_only.one(CLUSTER).inputs
    assert cluster["endpointPublicAccess"] is True
    assert cluster["publicAccessCidrs"] == OFFICE


def test_production_endpoint_is_private_by_default():
    cluster = eks(production=True, bootstrapped=True, nodeGroups=[MANAGED_GROUP],
                  publicAccessCidrs=[], privateAccessCidrs=["10.99.0.0/16"]).one(CLUSTER).inputs
    assert cluster["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in cluster
    assert cluster["deletionProtection"] is True


def test_private_access_cidrs_may_reach_the_api_through_the_cluster_security_group():
    plan = eks(nodeGroups=[MANAGED_GROUP, SELF_GROUP], endpointPublicAccess=False,
               bootstrapped=True, privateAccessCidrs=["10.99.0.0/16", "10.0.0.0/16"])
    rules = plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert sorted(r.inputs["cidrIpv4"] for r in rules) == ["10.0.0.0/16", "10.99.0.0/16"]
    # Named by CIDR: removing one never renames (re-creates) the other.
    assert sorted(r.name for r in rules) == ["shipyard-test-api-10-0-0-0-16",
                                             "shipyard-test-api-10-99-0-0-16"]
    assert {(r.inputs["ipProtocol"], r.inputs["fromPort"], r.inputs["toPort"]) for r in rules} == {
        ("tcp", 443, 443)}
    # ... on the security group EKS made for the cluster, the one every node is in.
    [node_template] = [t for t in plan.of_type(TEMPLATE) if t.name == "shipyard-test-batch"]
    node_group_sg = node_template.inputs["networkInterfaces"][0]["securityGroups"]
    assert {r.inputs["securityGroupId"] for r in rules} == set(node_group_sg)


def test_secrets_key_is_rotated_and_protected_in_production():
    plan = eks(production=True, nodeGroups=[MANAGED_GROUP], endpointPublicAccess=False,
               bootstrapped=True, privateAccessCidrs=["10.99.0.0/16"])
    key = plan.one("aws:kms/key:Key", "shipyard-test-secrets")  # not the log key
    assert key.inputs["enableKeyRotation"] is True
    assert key.protect is True
    assert eks(nodeGroups=[MANAGED_GROUP]).one("aws:kms/key:Key").protect is False


def test_a_given_kms_key_is_used_instead_of_a_new_one():
    arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    plan = eks(nodeGroups=[MANAGED_GROUP], kmsKeyArn=arn)
    assert plan.of_type("aws:kms/key:Key") == []
    assert plan.one(CLUSTER).inputs["encryptionConfigKeyArn"] == arn


def admin_entries(plan: Plan) -> dict[str, Resource]:
    return {e.inputs["principalArn"]: e for e in plan.of_type(ACCESS_ENTRY)
            if e.inputs["type"] == "STANDARD"}


def test_access_entries_grant_cluster_admin_to_the_configured_principals(managed_only):
    assert "accessEntries" not in managed_only.one(CLUSTER).inputs  # Shipyard's own, by principal
    entry = admin_entries(managed_only)[ADMIN]
    assert entry.name == "shipyard-test-admin-role-platform-admins"
    assert entry.inputs["clusterName"] == "shipyard-test"
    assert managed_only.one(CLUSTER).urn in entry.depends_on
    [association] = managed_only.children(entry)
    assert association.inputs == {
        "clusterName": "shipyard-test", "principalArn": ADMIN,
        "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        "accessScope": {"type": "cluster"}}


def test_removing_an_admin_leaves_the_others_entries_alone():
    alice, bob = "arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/bob"
    before = admin_entries(eks(nodeGroups=[MANAGED_GROUP], adminPrincipalArns=[alice, bob, ADMIN]))
    after_plan = eks(nodeGroups=[MANAGED_GROUP], adminPrincipalArns=[bob, ADMIN])
    after = admin_entries(after_plan)
    for principal in (bob, ADMIN):  # same URN, same inputs: nothing to replace
        assert (after[principal].urn, after[principal].inputs) == (
            before[principal].urn, before[principal].inputs)
    assert set(after) == {bob, ADMIN}
    # An entry that must be replaced goes before its successor comes: EKS allows one per
    # principal (409 otherwise).
    for entry in after.values():
        assert entry.delete_before_replace
        assert all(child.delete_before_replace for child in after_plan.children(entry))


def test_admin_entries_keep_the_urns_pulumi_eks_gave_them(managed_only):
    entry = admin_entries(managed_only)[ADMIN]
    cluster = managed_only.one(CLUSTER).urn
    assert entry.aliases == (
        "urn:pulumi:test::shipyard::eks:index:Cluster$aws:eks/accessEntry:AccessEntry"
        "::shipyard-test-admin-0",)
    [association] = managed_only.children(entry)
    assert association.aliases == (
        "urn:pulumi:test::shipyard::aws:eks/accessEntry:AccessEntry"
        "$aws:eks/accessPolicyAssociation:AccessPolicyAssociation::shipyard-test-admin-0-cluster-admin",)
    assert cluster.endswith("eks:index:Cluster::shipyard-test")


def test_the_deploying_identity_gets_no_second_access_entry():
    # The mocks deploy as a session of role shipyard-deploy, which EKS already makes admin
    # as the cluster's creator: listing it (with or without a path) must not create an entry (409).
    plan = eks(nodeGroups=[MANAGED_GROUP], adminPrincipalArns=[
        DEPLOYER_ROLE, "arn:aws:iam::123456789012:role/ci/shipyard-deploy", ADMIN])
    assert list(admin_entries(plan)) == [ADMIN]


def test_add_ons(managed_only):
    cluster = managed_only.one(CLUSTER).inputs
    assert cluster["corednsAddonOptions"]["enabled"] is False  # made below, after capacity
    assert cluster["kubeProxyAddonOptions"]["enabled"] is True
    assert cluster["useDefaultVpcCni"] is False  # vpc-cni as a managed add-on ...
    assert cluster["vpcCniOptions"]["enableNetworkPolicy"] is True  # ... enforcing NetworkPolicies
    found = addons(managed_only)
    assert sorted(found) == ["coredns", "eks-pod-identity-agent", "metrics-server"]
    for addon in found.values():
        assert addon.inputs["clusterName"] == "shipyard-test"
        assert addon.inputs["resolveConflictsOnCreate"] == "OVERWRITE"
    assert found["coredns"].inputs["addonVersion"] == "v1.12.4-eksbuild.1"  # newest for 1.35
    assert "configurationValues" not in found["coredns"].inputs  # CoreDNS runs on nodes
    assert found["coredns"].inputs["preserve"] is True  # removing the add-on keeps DNS up


def test_coredns_and_metrics_server_wait_for_the_capacity(mixed):
    capacity = {r.urn for r in mixed.of_type(ASG) + mixed.of_type(MANAGED) + mixed.of_type(PROFILE)}
    assert len(capacity) == 3
    for name in ("coredns", "metrics-server", "eks-pod-identity-agent"):
        assert capacity <= set(addons(mixed)[name].depends_on), name


def test_coredns_keeps_the_urn_of_the_add_on_pulumi_eks_used_to_create(managed_only):
    coredns = addons(managed_only)["coredns"]
    assert coredns.name == "shipyard-test-coredns"  # pulumi-eks's child name
    assert coredns.aliases == (
        "urn:pulumi:test::shipyard::eks:index:Cluster$aws:eks/addon:Addon::shipyard-test-coredns",)


def _waits_for(target: str, resource: Resource, by_urn: dict[str, Resource],
               seen: set[str]) -> bool:
    """Whether `resource` depends on the URN `target`, directly or through what it depends on."""
    if target in resource.depends_on:
        return True
    seen.add(resource.urn)
    return any(_waits_for(target, by_urn[urn], by_urn, seen)
               for urn in resource.depends_on if urn in by_urn and urn not in seen)


def test_everything_that_names_the_cluster_waits_for_it(mixed, fargate_only):
    for plan in (mixed, fargate_only):
        cluster = plan.one(CLUSTER).urn
        by_urn = {r.urn: r for r in plan.resources}

        named = [r for r in plan.resources if r.inputs.get("clusterName") == "shipyard-test"]
        assert {r.type for r in named} >= {ADDON, PROFILE} | ({ACCESS_ENTRY} if plan is mixed else set())
        for resource in named:
            assert _waits_for(cluster, resource, by_urn, set()), resource.name


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
    assert group["version"] == "1.35"  # follows the cluster: pulumi-eks sets none with a template
    assert group["launchTemplate"]["id"].startswith("lt-")
    assert "diskSize" not in group and "enableIMDSv2" not in group  # both live in the template
    template = managed_only.one(TEMPLATE, "shipyard-test-general").inputs
    assert template["metadataOptions"]["httpTokens"] == "required"
    assert template["metadataOptions"]["httpPutResponseHopLimit"] == 1
    ebs = template["blockDeviceMappings"][0]["ebs"]
    assert (ebs["volumeSize"], ebs["volumeType"], ebs["encrypted"]) == (20, "gp3", "true")
    # EKS keeps choosing the AMI, writing the bootstrap and placing the cluster security group.
    assert not {"imageId", "userData", "networkInterfaces", "iamInstanceProfile"} & set(template)
    assert group["labels"] == {"tier": "general"}
    assert group["taints"] == [{"key": "spare", "value": "true", "effect": "PREFER_NO_SCHEDULE"}]
    assert len(group["subnetIds"]) == 2
    assert group["nodeRoleArn"].startswith("arn:aws:iam::123456789012:role/shipyard-test-general-node")
    assert managed_only.of_type(ASG) == [] and managed_only.of_type(PROFILE) == []


def test_node_role_has_worker_cni_and_ecr_read_policies(managed_only):
    attached = sorted(a.inputs["policyArn"] for a in managed_only.of_type(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if a.name.startswith("shipyard-test-general"))
    assert attached == ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
                        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]


def test_node_group_resources_keep_their_urns_under_the_new_component(managed_only):
    group = managed_only.one(NODE_GROUP, "shipyard-test-general")
    for resource in managed_only.children(group):
        old = resource.urn.replace("shipyard:eks:EksNodeGroup$", "shipyard:eks:EksCluster$")
        assert resource.aliases == (old,), resource.name


def test_self_managed_nodes_join_through_an_ec2_linux_access_entry(self_managed_only):
    plan = self_managed_only
    role = plan.one("aws:iam/role:Role", "shipyard-test-batch-node")
    entry = plan.one(ACCESS_ENTRY, "shipyard-test-batch-node").inputs
    assert entry["type"] == "EC2_LINUX" and entry["clusterName"] == "shipyard-test"
    assert entry["principalArn"].endswith(":role/shipyard-test-batch-node-" + entry["principalArn"][-7:])
    group = plan.one(ASG, "shipyard-test-batch")
    assert plan.one(ACCESS_ENTRY, "shipyard-test-batch-node").urn in group.depends_on
    profile = plan.one("aws:iam/instanceProfile:InstanceProfile", "shipyard-test-batch-node")
    assert profile.inputs["role"].startswith(role.name)


def test_self_managed_node_group(self_managed_only):
    group = self_managed_only.one(ASG, "shipyard-test-batch").inputs
    assert (group["minSize"], group["maxSize"], group["desiredCapacity"]) == (0, 4, 0)
    assert len(group["vpcZoneIdentifiers"]) == 2
    assert group["launchTemplate"]["version"] == "1"  # follows the template's latest version
    refresh = group["instanceRefresh"]
    assert refresh["strategy"] == "Rolling"
    # Replacements launch before the old instances go (min 90%, max 110% of the group healthy).
    assert (refresh["preferences"]["minHealthyPercentage"],
            refresh["preferences"]["maxHealthyPercentage"]) == (90, 110)
    assert {t["key"]: t["value"] for t in group["tags"]}["kubernetes.io/cluster/shipyard-test"] == "owned"
    template = self_managed_only.one(TEMPLATE, "shipyard-test-batch").inputs
    assert template["instanceType"] == "c7g.large"
    assert template["instanceMarketOptions"] == {"marketType": "spot", "spotOptions": {"maxPrice": "0.05"}}
    assert template["iamInstanceProfile"]["arn"].startswith(
        "arn:aws:iam::123456789012:instance-profile/shipyard-test-batch-node")


def test_self_managed_nodes_are_as_hardened_as_managed_ones(self_managed_only):
    template = self_managed_only.one(TEMPLATE, "shipyard-test-batch").inputs
    assert template["metadataOptions"] == {"httpEndpoint": "enabled", "httpTokens": "required",
                                           "httpPutResponseHopLimit": 1,
                                           "instanceMetadataTags": "disabled"}
    ebs = template["blockDeviceMappings"][0]["ebs"]
    assert (ebs["volumeType"], ebs["encrypted"], ebs["deleteOnTermination"]) == ("gp3", "true", "true")
    [interface] = template["networkInterfaces"]
    assert interface["associatePublicIpAddress"] == "false"


def test_graviton_self_managed_nodes_get_the_arm64_al2023_eks_ami(self_managed_only):
    graviton = self_managed_only.one(TEMPLATE, "shipyard-test-batch").inputs
    x86 = self_managed_only.one(TEMPLATE, "shipyard-test-system").inputs
    path = "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/{}/standard/recommended/image_id"
    assert graviton["imageId"] == ami_for(path.format("arm64"))
    assert x86["imageId"] == ami_for(path.format("x86_64"))


def test_self_managed_nodes_bootstrap_with_nodeadm(self_managed_only):
    config = user_data(self_managed_only.one(TEMPLATE, "shipyard-test-batch"))
    assert config["apiVersion"] == "node.eks.aws/v1alpha1" and config["kind"] == "NodeConfig"
    cluster = config["spec"]["cluster"]
    endpoint = self_managed_only.outputs["eksEndpoint"]
    assert cluster == {"name": "shipyard-test", "apiServerEndpoint": endpoint,
                       "certificateAuthority": "LS0tLS1CRUdJTi1DRVJUSUZJQ0FURS0tLS0t",
                       "cidr": "172.20.0.0/16"}
    assert config["spec"]["kubelet"]["flags"] == [
        "--node-labels=workload=batch", "--register-with-taints=workload=batch:NoExecute"]


def test_every_node_shares_the_cluster_security_group(mixed):
    # pulumi-eks makes no security groups of its own, so managed nodes (which EKS puts on the
    # cluster security group) and self-managed nodes (put there by their template) reach each other.
    assert mixed.one(CLUSTER).inputs["skipDefaultSecurityGroups"] is True
    assert not [sg for sg in mixed.of_type("aws:ec2/securityGroup:SecurityGroup")
                if sg.name.startswith("shipyard-test-general") or sg.name.startswith("shipyard-test-batch")]
    self_managed = mixed.one(TEMPLATE, "shipyard-test-batch").inputs["networkInterfaces"][0]
    [group] = self_managed["securityGroups"]
    assert group.startswith("sg-")
    assert "networkInterfaces" not in mixed.one(TEMPLATE, "shipyard-test-general").inputs


def test_changing_the_version_upgrades_nodes_and_add_ons():
    older = eks(version="1.34", nodeGroups=[MANAGED_GROUP, SYSTEM_GROUP])
    assert older.one(CLUSTER).inputs["version"] == "1.34"
    assert older.one(MANAGED).inputs["version"] == "1.34"
    assert older.one(TEMPLATE, "shipyard-test-system").inputs["imageId"] == ami_for(
        "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended/image_id")
    cluster_urn = older.one(CLUSTER).urn
    managed = older.one(MANAGED)
    assert cluster_urn in managed.depends_on or managed.inputs["cluster"] == cluster_urn


def test_mixed_capacity(mixed):
    assert len(mixed.of_type(MANAGED)) == 1 and len(mixed.of_type(ASG)) == 1
    [profile] = mixed.of_type(PROFILE)
    assert profile.inputs["fargateProfileName"] == "jobs"
    assert profile.inputs["selectors"] == [{"namespace": "jobs"}, {"namespace": "cron"}]
    assert len(profile.inputs["subnetIds"]) == 2
    assert "configurationValues" not in addons(mixed)["coredns"].inputs


def test_fargate_only_runs_the_system_add_ons_on_fargate(fargate_only):
    assert fargate_only.of_type(MANAGED) == fargate_only.of_type(ASG) == []
    profiles = {p.inputs["fargateProfileName"]: p for p in fargate_only.of_type(PROFILE)}
    assert profiles["apps"].inputs["selectors"] == [{"namespace": "apps"}]
    assert profiles["shipyard-coredns"].inputs["selectors"] == [
        {"namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}}]
    assert profiles["shipyard-kube-system"].inputs["selectors"] == [{"namespace": "kube-system"}]
    found = addons(fargate_only)
    # Written compactly, as pulumi-eks wrote it for the add-on this one adopts.
    assert found["coredns"].inputs["configurationValues"] == '{"computeType":"Fargate"}'
    assert {p.urn for p in profiles.values()} <= set(found["coredns"].depends_on)
    assert sorted(found) == ["coredns", "metrics-server"]  # no nodes for the agent DaemonSet


def test_fargate_pod_role_trusts_only_this_clusters_profiles(fargate_only):
    role = fargate_only.one("aws:iam/role:Role", "shipyard-test-fargate-pods")
    statement = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert statement["Principal"] == {"Service": "eks-fargate-pods.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == \
        "arn:aws:eks:us-east-1:123456789012:fargateprofile/shipyard-test/*"
    attachment = fargate_only.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                                  "shipyard-test-fargate-pods")
    assert attachment.inputs["policyArn"].endswith("AmazonEKSFargatePodExecutionRolePolicy")


def test_workloads_wait_for_capacity_coredns_and_metrics_server(mixed):
    provider = mixed.one("pulumi:providers:kubernetes", "eks")
    found = addons(mixed)
    capacity = {r.urn for r in mixed.of_type(ASG) + mixed.of_type(MANAGED) + mixed.of_type(PROFILE)}
    assert capacity | {found["coredns"].urn, found["metrics-server"].urn} <= set(provider.depends_on)


def test_trust_policies_parse_and_identity_policies_lint_clean(mixed):
    for role in mixed.of_type("aws:iam/role:Role"):
        trust = json.loads(role.inputs["assumeRolePolicy"])
        assert trust["Version"] == "2012-10-17" and trust["Statement"]
    for policy in mixed.of_type("aws:iam/rolePolicy:RolePolicy"):
        assert analyze_policy_string(policy.inputs["policy"]).findings == []


def test_shipped_stacks_use_eks_as_intended(stack_plan):
    staging, prod = stack_plan("staging"), stack_plan("prod")
    assert len(staging.of_type(MANAGED)) == 1 and staging.of_type(ASG) == []
    assert len(prod.of_type(MANAGED)) == 1 and len(prod.of_type(ASG)) == 1
    # Public to prod's runner only, so its first `pulumi up` reaches the cluster it creates.
    assert prod.one(CLUSTER).inputs["endpointPublicAccess"] is True
    assert prod.one(CLUSTER).inputs["publicAccessCidrs"] == ["198.51.100.20/32"]
    assert prod.one(CLUSTER).inputs["endpointPrivateAccess"] is True


# --- configs that cannot work -------------------------------------------------------------------

def problems(**settings) -> list[str]:
    with pytest.raises(ConfigError) as error:
        eks(**settings)
    assert error.value.registered == ()
    return error.value.problems


def test_fargate_profiles_must_cover_the_services_namespace():
    assert problems(fargateProfiles=[{"name": "jobs", "namespaces": ["jobs"]}]) == [
        "shipyard:eks.fargateProfiles: no Fargate profile covers the services' namespace 'apps' and "
        "there are no node groups: their pods would stay Pending (add it to a profile's namespaces)"]


def test_public_services_cannot_run_on_fargate_pods():
    public = {**SERVICE, "public": True}
    for settings in ({"fargateProfiles": [{"name": "apps", "namespaces": ["apps"]}]},
                     {"nodeGroups": [MANAGED_GROUP],
                      "fargateProfiles": [{"name": "apps", "namespaces": ["apps"]}]}):
        with pytest.raises(ConfigError) as error:
            run_shipyard({"services": [public], "eks": {"enabled": True, "publicAccessCidrs": OFFICE,
                                                        **settings}})
        assert error.value.problems == [
            "shipyard:services[0].public: public services cannot run on EKS Fargate pods: the "
            "cluster's load balancers target nodes, and Fargate pods have none (run the service on "
            "a node group, on ECS, or keep it private)"]


def test_a_private_endpoint_needs_a_way_in():
    assert problems(nodeGroups=[MANAGED_GROUP], endpointPublicAccess=False, bootstrapped=True) == [
        "shipyard:eks.privateAccessCidrs: required while the API endpoint is private: list the "
        "networks `pulumi up` runs from (a VPN range, a CI runner's subnet), or Shipyard cannot "
        "deploy to the cluster"]


def test_some_node_group_must_run_coredns():
    tainted = {**MANAGED_GROUP, "taints": [{"key": "a", "effect": "NoSchedule"}]}
    empty = {**MANAGED_GROUP, "name": "empty", "minSize": 0, "taints": []}
    assert problems(nodeGroups=[tainted, empty]) == [
        "shipyard:eks.nodeGroups: no node group can run the cluster's own add-ons (CoreDNS, "
        "metrics-server): give one group minSize >= 1 and no NoSchedule/NoExecute taint"]


def test_shipyards_own_fargate_profile_names_are_reserved():
    # Also (above all) on Fargate-only clusters, where Shipyard's own profiles are created.
    for node_groups in ([MANAGED_GROUP], []):
        assert problems(nodeGroups=node_groups, fargateProfiles=[
            {"name": "shipyard-coredns", "namespaces": ["apps"]}]) == [
            "shipyard:eks.fargateProfiles[0].name: 'shipyard-coredns' is reserved for Shipyard's "
            "own system profiles"]
