"""The lifecycle table (shipyard/review/lifecycle.py) covers every type Shipyard registers, and every plan
— shipped stacks, examples, and configs that reach every component variant — keeps its rules: a
replacement never collides with its predecessor, what others rely on is retained or protected in
production, and update preconditions hold. Then one test per lifecycle finding of issue 14."""

from __future__ import annotations

import ast
import importlib
import re
from dataclasses import replace
from pathlib import Path

import pulumi
import pytest

from shipyard.platforms.kubernetes import manifests as k8s_manifests
from shipyard.review import engine, lifecycle
from shipyard.review.engine import Plan
from shipyard.services.containers import secret_versions_digest
from tests.conftest import PROJECT, SHIPPED_STACKS, run_shipyard

EXAMPLE_FILES = sorted(PROJECT.glob("examples/*/Pulumi.*.yaml"))
OFFICE = ["203.0.113.0/24"]
# A public endpoint for the office range: these variants deploy in production too.
PUBLIC_ENDPOINT = {"endpointPublicAccess": True, "publicAccessCidrs": OFFICE}
API = {"name": "api", "image": "ghcr.io/acme/api:1.2.3", "public": True}
FARGATE_PROFILE = "aws:eks/fargateProfile:FargateProfile"

# Configs that, with the shipped stacks and examples, register every type the code can create.
VARIANTS = {
    "ecs-ec2-waf": {"ecs": {"enabled": True, "capacity": "ec2", "loadBalancer": {
        "managedWebAcl": True}}, "services": [API]},
    "ecs-own-acl": {"ecs": {"enabled": True, "loadBalancer": {
        "webAclArn": ("arn:aws:wafv2:us-east-1:123456789012:regional/webacl/edge/"
                      "a1b2c3d4-5678-90ab-cdef-0123456789ab")}},
        "services": [API]},
    "eks-every-kind": {"eks": {"enabled": True, **PUBLIC_ENDPOINT, "nodeGroups": [
        {"name": "general"},
        {"name": "batch", "type": "selfManaged", "instanceTypes": ["c7g.large"]}],
        "fargateProfiles": [{"name": "jobs", "namespaces": ["jobs"]}]},
        "services": [{**API, "secrets": {
            "TOKEN": "arn:aws:ssm:us-east-1:123456789012:parameter/api/token"}}]},
    "built-for-two-architectures": {
        "ecr": {"repositories": [{"name": "shop/api"}]},
        "eks": {"enabled": True, **PUBLIC_ENDPOINT, "nodeGroups": [
            {"name": "arm", "instanceTypes": ["m7g.large"]},
            {"name": "x86", "instanceTypes": ["m6i.large"]}]},
        "services": [{"name": "api", "repository": "shop/api",
                      "build": {"context": "examples/hello-api"}}]},
    "domains": {"dns": {"zone": "example.com"}, "ecs": {"enabled": True},
                "services": [{**API, "domain": "api.example.com"},
                             {"name": "web", "image": "ghcr.io/acme/web:1.0.0", "public": True,
                              "domain": "www.example.com"}]},
    "endpoints": {"network": {"natGateways": "none", "vpcEndpoints": True},
                  "ecr": {"repositories": [{"name": "shop/api"}]}, "ecs": {"enabled": True},
                  "services": [{"name": "api", "repository": "shop/api", "tag": "1.2.3"}]},
    # --- nomad
    "nomad-with-secrets": {"nomad": {"enabled": True, "cpuMhzPerVcpu": 2400}, "services": [{
        **API, "secrets": {"TOKEN": "arn:aws:ssm:us-east-1:123456789012:parameter/api/token"}}]},
}


@pytest.fixture(scope="module")
def every_plan() -> dict[str, tuple[Plan, bool]]:
    """name -> (plan, production) for the shipped stacks, the examples and the variants."""
    plans = {}
    for stack in SHIPPED_STACKS:
        plans[stack] = (engine.run(stack), bool(
            engine.stack_config(stack).get("shipyard:production")))
    for path in EXAMPLE_FILES:
        stack = path.name[len("Pulumi."):-len(".yaml")]
        plans[f"{path.parent.name}.{stack}"] = (engine.run(stack, stack_file=path), False)
    for name, shipyard in VARIANTS.items():
        plans[name] = (run_shipyard(shipyard), False)
        plans[f"{name} (production)"] = (run_shipyard({**shipyard, "production": True}), True)
    return plans


def _dotted_names(path: Path) -> set[str]:
    """`aws.ecs.Service`-style names the code of a file uses (comments and strings aside)."""
    def dotted(node: ast.AST) -> str:
        if isinstance(node, ast.Attribute):
            return f"{dotted(node.value)}.{node.attr}"
        return node.id if isinstance(node, ast.Name) else ""
    return {dotted(node) for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Attribute)}


def _created_types() -> set[str]:
    """Every resource type `components/`, `shipyard/` and `__main__.py` name, resolved to its
    token through the installed SDK class."""
    modules = {"aws": "pulumi_aws", "eks": "pulumi_eks", "k8s": "pulumi_kubernetes",
               "docker_build": "pulumi_docker_build", "docker": "pulumi_docker"}
    tokens = set()
    for path in [*PROJECT.glob("components/**/*.py"), *PROJECT.glob("shipyard/**/*.py"),
                 PROJECT / "__main__.py"]:
        for name in _dotted_names(path):
            sdk, *package, attribute = name.split(".")
            if sdk not in modules or not package and not attribute[:1].isupper():
                continue
            try:
                cls = getattr(importlib.import_module(".".join([modules[sdk], *package])),
                              attribute)
            except (ImportError, AttributeError):
                continue   # a prefix of a longer name (aws.ecs), or not a class
            if not (isinstance(cls, type) and issubclass(cls, pulumi.CustomResource)):
                continue
            if issubclass(cls, pulumi.ProviderResource):
                tokens.add(f"pulumi:providers:{modules[sdk].removeprefix('pulumi_')}")
                continue
            source = Path(importlib.import_module(cls.__module__).__file__).read_text()
            tokens.update(re.findall(rf"super\({attribute}, __self__\).__init__\(\s*'([^']+)'",
                                     source))
    return tokens


def test_every_type_the_code_creates_has_a_row():
    created = _created_types()
    assert "aws:eks/fargateProfile:FargateProfile" in created  # the scan finds the SDK tokens
    assert created - set(lifecycle.FACTS) == set()


def test_every_type_in_every_plan_has_a_sourced_row(every_plan):
    planned = {r.type for plan, _ in every_plan.values() for r in plan.resources if r.custom}
    assert planned - set(lifecycle.FACTS) == set()
    assert {FARGATE_PROFILE, "docker-build:index:Index",
            "aws:lb/listenerCertificate:ListenerCertificate"} <= planned
    assert [t for t, row in lifecycle.FACTS.items() if not row.source] == []


def test_every_plan_keeps_the_lifecycle_rules(every_plan):
    broken = {name: lifecycle.plan_violations(plan, production)
              for name, (plan, production) in every_plan.items()}
    assert {name: problems for name, problems in broken.items() if problems} == {}


def test_the_rules_catch_what_issue_14_found(every_plan):
    """Each rule fails on the resource options of the code before the fixes."""
    plan, _ = every_plan["ecs-ec2-waf"]
    association = plan.one("aws:wafv2/webAclAssociation:WebAclAssociation")
    service = plan.one("aws:ecs/service:Service")
    image_plan, _ = every_plan["built-for-two-architectures"]
    index = image_plan.one("docker-build:index:Index")
    old = [replace(association, delete_before_replace=False),
           replace(service, inputs={**service.inputs, "forceNewDeployment": None}),
           replace(index, retain_on_delete=False)]
    found = [problem for resource in old
             for problem in lifecycle.violations(resource, production=False)]
    assert len(found) == 3
    assert "replacement would collide" in found[0]
    assert "requires forceNewDeployment = true" in found[1]
    assert "set retain_on_delete" in found[2]


def test_replacing_inputs_follow_paths_into_inputs():
    assert lifecycle.replacing_inputs("aws:ecr/repository:Repository",
                                      ["encryptionConfigurations[0].kmsKey",
                                       "imageTagMutability"]) == {"encryptionConfigurations"}
    assert lifecycle.replacing_inputs("aws:ec2/subnet:Subnet", ["cidrBlock", "tags.Name"]) == {
        "cidrBlock"}
    assert lifecycle.replacing_inputs("eks:index:Cluster", ["privateSubnetIds", "version"]) == set()
    assert lifecycle.replacing_inputs("aws:ecs/taskDefinition:TaskDefinition", [".cpu"]) == {"cpu"}
    assert lifecycle.replacing_inputs("kubernetes:apps/v1:Deployment", [
        ".spec.selector.matchLabels.app", ".spec.replicas"]) == {"spec.selector"}
    assert lifecycle.replacing_inputs("kubernetes:core/v1:Secret", [".stringData.TOKEN"]) == {
        "stringData"}


# --- issue 14, one finding at a time (each assertion fails on the code before the fix) ---

def test_1_ecs_services_start_a_deployment_with_every_update(every_plan):
    """A changed capacity provider strategy is refused without force_new_deployment."""
    for name, (plan, _) in every_plan.items():
        for service in plan.of_type("aws:ecs/service:Service"):
            assert service.inputs["forceNewDeployment"] is True, name


def test_2_a_web_acl_association_is_deleted_before_its_replacement(every_plan):
    for name in ("ecs-ec2-waf", "ecs-own-acl", "prod"):
        association = every_plan[name][0].one("aws:wafv2/webAclAssociation:WebAclAssociation")
        assert association.delete_before_replace, name


def test_3_a_fargate_profile_is_deleted_before_its_replacement(every_plan):
    plan, _ = every_plan["eks-every-kind"]
    profiles = plan.of_type(FARGATE_PROFILE)
    assert [p.inputs["fargateProfileName"] for p in profiles] == ["jobs"]
    assert all(p.delete_before_replace for p in profiles)


def test_4_pushed_images_stay_in_the_registry_when_pulumi_forgets_them(every_plan):
    pushed = [r for plan, _ in every_plan.values() for r in plan.resources
              if r.type.startswith("docker-build:index:")]
    assert {r.type for r in pushed} == {"docker-build:index:Image", "docker-build:index:Index"}
    assert all(r.retain_on_delete and r.inputs["push"] for r in pushed)


def test_5_pulumi_up_keeps_the_node_count_someone_scaled_to(every_plan):
    plan, _ = every_plan["prod"]
    batch = plan.one("aws:autoscaling/group:Group")
    assert batch.inputs["desiredCapacity"] == 0 and "desiredCapacity" in batch.ignore_changes
    for group in plan.of_type("eks:index:ManagedNodeGroup"):
        assert group.inputs["ignoreScalingChanges"] is True


def test_6_a_rotated_secret_rolls_the_pods(rotate_secrets):
    """The pod template carries the secrets' versions (never their values): a new version of
    the secret (a rotation, same ARN) changes the template, so `pulumi up` rolls the pods."""
    config = {"eks": {"enabled": True, "publicAccessCidrs": OFFICE, "nodeGroups": [{"name": "general"}]},
              "services": [{"name": "api", "image": "ghcr.io/acme/api:1.2.3", "secrets": {
                  "DB": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}}]}

    def template(plan: Plan) -> dict:
        return plan.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["metadata"]

    before = template(run_shipyard(config))
    rotate_secrets("rotated-version")
    after = template(run_shipyard(config))
    annotation = k8s_manifests.SECRET_VERSIONS_ANNOTATION
    assert before["annotations"][annotation] != after["annotations"][annotation]
    assert after["annotations"][annotation] == secret_versions_digest(
        {"DB": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf@rotated-version"})
    other = {**config, "services": [{**config["services"][0], "secrets": {
        "DB": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db2-AbCdEf"}}]}
    moved = template(run_shipyard(other))  # the same mocked version id, another secret
    assert moved["annotations"][annotation] != after["annotations"][annotation]


def test_6_secret_versions_are_plain_so_the_deployment_diff_stays_readable(every_plan):
    plan, _ = every_plan["staging"]
    deployment = plan.one("kubernetes:apps/v1:Deployment", "eks-api")
    assert isinstance(deployment.inputs["spec"], dict)   # not an engine.Secret: readable in diffs
    assert re.fullmatch(r"[0-9a-f]{16}", deployment.inputs["spec"]["template"]["metadata"][
        "annotations"][k8s_manifests.SECRET_VERSIONS_ANNOTATION])


def test_11_ecs_services_wait_for_their_execution_role_policies(every_plan):
    for name, (plan, _) in every_plan.items():
        for service in plan.of_type("aws:ecs/service:Service"):
            component = plan.by_urn(service.parent)
            policies = {r.urn for r in plan.children(component)
                        if r.type in ("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                                      "aws:iam/rolePolicy:RolePolicy")
                        and ("-execution" in r.name or "-secrets" in r.name)}
            assert policies and policies <= set(service.depends_on), (name, service.name)
