"""services[].build: GIVEN a service built from a Dockerfile WHEN the stack plans THEN the image
is built for the platforms it runs on, pushed to its ECR repository with a secret registry
token, cached in ECR, and the service runs it by digest."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
from pathlib import Path

import botocore.session
import kubernetes_validate
import pulumi_docker_build as docker_build
import pytest

from shipyard import PROJECT_ROOT
from shipyard.config import ConfigError, parse
from shipyard.review import diff
from shipyard.review import plan as plan_view
from shipyard.review.engine import Secret
from shipyard.review.mocks import ACCOUNT_ID
from shipyard.services.architectures import of_instance_type
from shipyard.services.image_build import (
    AMD64,
    ARM64,
    MUTABLE_TAG_FILTER,
    build_platforms,
    build_tag,
    cache_reference,
    context_problems,
    digest_of,
    digest_reference,
    registry_of,
)
from tests.conftest import run_shipyard
from tests.test_kubernetes import KUBECONFIG, KUBERNETES_VERSION, manifests

CONTEXT = "examples/hello-api"
REPO = "shop/api"
URL = f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/{REPO}"
DIGEST = "sha256:" + "ab" * 32
IMAGE = "docker-build:index:Image"
INDEX = "docker-build:index:Index"
EKS = {"enabled": True, "publicAccessCidrs": ["203.0.113.0/24"]}


def built(build: dict | None = None, **service) -> dict:
    return {"name": "api", "repository": REPO, "build": {"context": CONTEXT, **(build or {})},
            **service}


def stack(services: list[dict], **platforms) -> dict:
    return {"ecr": {"repositories": [{"name": REPO}, {"name": "shop/web"}]},
            "services": services, **platforms}


def container_image(plan) -> str:
    [task] = plan.of_type("aws:ecs/taskDefinition:TaskDefinition")
    return json.loads(task.inputs["containerDefinitions"])[0]["image"]


# --- pure helpers -------------------------------------------------------------------------------

@pytest.mark.parametrize("instance_type, platform", [
    ("t4g.medium", ARM64), ("m7g.large", ARM64), ("c7gn.xlarge", ARM64),
    ("t3.medium", AMD64), ("m6i.large", AMD64), ("g5.xlarge", AMD64)])
def test_graviton_instances_take_arm64_images(instance_type, platform):
    assert f"linux/{of_instance_type(instance_type)}" == platform


def platforms(**config) -> list[str]:
    parsed = parse({"ecr": {"repositories": [{"name": REPO}]}, "services": [built()], **config})
    return build_platforms(parsed, parsed.services[0])


def test_fargate_runs_amd64():
    assert platforms(ecs={"enabled": True}) == [AMD64]


def test_ecs_on_graviton_instances_runs_arm64():
    assert platforms(ecs={"enabled": True, "capacity": "ec2",
                          "ec2": {"instanceType": "t4g.medium"}}) == [ARM64]


def test_eks_follows_its_node_groups():
    assert platforms(eks={**EKS, "nodeGroups": [{"name": "a", "instanceTypes": ["m7g.large"]}]}) == [ARM64]
    assert platforms(eks={**EKS, "nodeGroups": [
        {"name": "a", "instanceTypes": ["m7g.large"]},
        {"name": "b", "instanceTypes": ["m6i.large"]}]}) == [AMD64, ARM64]


def test_a_service_on_fargate_and_graviton_nodes_gets_both():
    assert platforms(ecs={"enabled": True},
                     eks={**EKS, "nodeGroups": [{"name": "a", "instanceTypes": ["t4g.large"]}]}
                     ) == [AMD64, ARM64]


def test_tainted_node_groups_host_no_service():
    assert platforms(eks={**EKS, "nodeGroups": [
        {"name": "a", "instanceTypes": ["m6i.large"]},
        {"name": "gpu", "instanceTypes": ["m7g.large"],
         "taints": [{"key": "dedicated", "effect": "NoSchedule"}]}]}) == [AMD64]


def test_eks_fargate_is_x86_only():
    assert platforms(eks={**EKS, "nodeGroups": [{"name": "a", "instanceTypes": ["m7g.large"]}],
                          "fargateProfiles": [{"name": "apps", "namespaces": ["apps"]}]}) == [AMD64]


def test_image_names():
    assert build_tag("dev") == "shipyard-dev"
    assert build_tag("dev", ARM64) == "shipyard-dev-arm64"
    assert cache_reference(URL, "prod", AMD64) == f"{URL}:shipyard-prod-amd64-cache"
    assert digest_reference(URL, DIGEST) == f"{URL}@{DIGEST}"
    assert digest_of(f"{URL}:shipyard-dev@{DIGEST}") == DIGEST
    assert registry_of(URL) == (f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com", ACCOUNT_ID)
    with pytest.raises(ValueError):
        digest_reference(URL, "sha256:short")
    with pytest.raises(ValueError):
        registry_of("ghcr.io/acme/api")


def test_only_build_tags_are_mutable():
    for tag in (build_tag("dev"), build_tag("prod", ARM64), cache_reference(URL, "dev").split(":")[-1]):
        assert fnmatch.fnmatchcase(tag, MUTABLE_TAG_FILTER)
    for release in ("1.4.2", "v2", "latest", "sha-abc123"):
        assert not fnmatch.fnmatchcase(release, MUTABLE_TAG_FILTER)


def test_context_checks(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "Dockerfile.outside").write_text("FROM scratch\n")
    assert context_problems("app", "Dockerfile", tmp_path) == []
    assert context_problems("nope", "Dockerfile", tmp_path) == [
        ("context", f"no directory 'nope' in the project ({tmp_path})")]
    assert context_problems("app", "../Dockerfile.outside", tmp_path) == [
        ("dockerfile", "must be inside the build context 'app'")]
    assert context_problems("app", "Containerfile", tmp_path) == [
        ("dockerfile", "no file 'Containerfile' in the build context 'app'")]


# --- config errors ------------------------------------------------------------------------------

ECS = {"ecs": {"enabled": True}}
ERRORS = [
    ("build without repository", built(repository=None),
     "shipyard:services[0].repository: required with build: the ECR repository to push the image to"),
    ("build and image", built(image="nginx:1.27"),
     "shipyard:services[0].image: give only one of image, repository + tag, or build (also set: build)"),
    ("build and tag", built(tag="1.0.0"),
     "shipyard:services[0].tag: not used with build: the built image runs by its digest"),
    ("build into an undeclared repository", built(repository="shop/cart"),
     "shipyard:services[0].repository: 'shop/cart' is not declared in shipyard:ecr.repositories "
     "(declared: shop/api, shop/web)"),
    ("missing context", built({"context": "apps/missing"}),
     f"shipyard:services[0].build.context: no directory 'apps/missing' in the project ({PROJECT_ROOT})"),
    ("Dockerfile outside the context", built({"dockerfile": "../../Makefile"}),
     "shipyard:services[0].build.dockerfile: must be inside the build context 'examples/hello-api'"),
    ("missing Dockerfile", built({"dockerfile": "Dockerfile.prod"}),
     "shipyard:services[0].build.dockerfile: no file 'Dockerfile.prod' in the build context "
     "'examples/hello-api'"),
    ("bad stage name", built({"target": "run time"}),
     "shipyard:services[0].build.target: must be a Dockerfile stage name"),
    ("bad build arg name", built({"args": {"1VERSION": "1"}}),
     "shipyard:services[0].build.args.1VERSION: must be a valid environment variable name"),
    ("no image at all", {"name": "api"},
     "shipyard:services[0].image: required (or repository + tag, or build)"),
]


@pytest.mark.parametrize("service, expected", [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_invalid_builds_name_their_key(service, expected):
    with pytest.raises(ConfigError) as error:
        run_shipyard(stack([{k: v for k, v in service.items() if v is not None}], **ECS))
    assert error.value.problems == [expected]
    assert error.value.registered == ()


# --- ECS: the dev stack builds its api ----------------------------------------------------------

def test_dev_builds_and_pushes_its_image(stack_plan):
    plan = stack_plan("dev")
    [image] = plan.of_type(IMAGE)
    inputs = image.inputs
    assert inputs["push"] is True and inputs["buildOnPreview"] is True
    assert inputs["context"] == {"location": CONTEXT}
    assert inputs["dockerfile"] == {"location": f"{CONTEXT}/Dockerfile"}
    assert inputs["platforms"] == [AMD64]          # dev runs on Fargate Spot
    assert inputs["tags"] == [f"{URL}:shipyard-dev"]
    assert plan.of_type(INDEX) == []               # one platform: no index


def test_the_registry_token_is_a_secret_for_the_repository_registry(stack_plan):
    [image] = stack_plan("dev").of_type(IMAGE)
    registries = image.inputs["registries"]
    assert isinstance(registries, Secret)
    [registry] = registries.value
    assert registry["address"] == f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com"
    assert registry["username"] == "AWS"
    assert registry["password"].startswith("offline-ecr-token-")


def test_the_cache_lives_in_ecr_in_the_form_ecr_accepts(stack_plan):
    [image] = stack_plan("dev").of_type(IMAGE)
    cache = f"{URL}:shipyard-dev-cache"
    assert image.inputs["cacheFrom"] == [{"registry": {"ref": cache}}]
    [cache_to] = image.inputs["cacheTo"]
    assert cache_to["registry"]["ref"] == cache
    assert cache_to["registry"]["mode"] == "max"
    assert cache_to["registry"]["imageManifest"] is True
    assert cache_to["registry"]["ociMediaTypes"] is True


def test_the_service_runs_the_pushed_digest(stack_plan):
    plan = stack_plan("dev")
    expected = plan.outputs["builtImages"]["api"]
    assert expected.startswith(f"{URL}@sha256:") and len(expected) == len(URL) + 72
    assert container_image(plan) == expected
    [image] = plan.of_type(IMAGE)
    [task] = plan.of_type("aws:ecs/taskDefinition:TaskDefinition")
    assert image.urn in task.depends_on           # the task waits for the push


def test_image_inputs_are_ones_pulumi_docker_build_defines(stack_plan):
    """Every recorded input is a property of the SDK's ImageArgs (generated from the provider's
    schema), with valid enum values."""
    def known(cls) -> set[str]:
        return {getattr(v.fget, "_pulumi_name", k) for k, v in vars(cls).items()
                if isinstance(v, property)}
    [image] = stack_plan("dev").of_type(IMAGE)
    assert set(image.inputs) <= known(docker_build.ImageArgs)
    assert set(image.inputs["cacheTo"][0]["registry"]) <= known(docker_build.CacheToRegistryArgs)
    assert all(docker_build.Platform(p) for p in image.inputs["platforms"])
    assert docker_build.CacheMode(image.inputs["cacheTo"][0]["registry"]["mode"])


def test_built_repositories_keep_release_tags_immutable(stack_plan):
    """Only Shipyard's own build tags may move; ECR accepts the setting (botocore's model).
    dev builds into shop/api, which prod owns (`builtElsewhere`); prod's shop/web takes no
    builds and stays IMMUTABLE."""
    repository = stack_plan("prod").one("aws:ecr/repository:Repository", "shop-api")
    assert stack_plan("prod").one("aws:ecr/repository:Repository", "shop-web").inputs[
        "imageTagMutability"] == "IMMUTABLE"
    model = botocore.session.get_session().get_service_model("ecr")
    assert repository.inputs["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert repository.inputs["imageTagMutability"] in model.shape_for("ImageTagMutability").enum
    [rule] = repository.inputs["imageTagMutabilityExclusionFilters"]
    assert rule == {"filter": MUTABLE_TAG_FILTER, "filterType": "WILDCARD"}
    shape = model.shape_for("ImageTagMutabilityExclusionFilter").members
    assert rule["filterType"] in shape["filterType"].enum
    assert re.fullmatch(shape["filter"].metadata["pattern"].strip("^$"), rule["filter"])


def test_repositories_nothing_builds_into_stay_immutable(run_config):
    plan = run_config(stack([built()], **ECS))
    web = plan.one("aws:ecr/repository:Repository", "shop-web")
    assert web.inputs["imageTagMutability"] == "IMMUTABLE"
    assert "imageTagMutabilityExclusionFilters" not in web.inputs


def test_graviton_ecs_builds_arm64_for_arm64_tasks(run_config):
    plan = run_config(stack([built()], ecs={"enabled": True, "capacity": "ec2",
                                            "ec2": {"instanceType": "t4g.medium"}}))
    [image] = plan.of_type(IMAGE)
    assert image.inputs["platforms"] == [ARM64]
    [task] = plan.of_type("aws:ecs/taskDefinition:TaskDefinition")
    assert task.inputs["runtimePlatform"]["cpuArchitecture"] == "ARM64"


def test_build_args_and_target_reach_the_build(run_config):
    plan = run_config(stack([built({"args": {"VERSION": "1.2.3"}, "target": "runtime"})], **ECS))
    [image] = plan.of_type(IMAGE)
    assert image.inputs["buildArgs"] == {"VERSION": "1.2.3"}
    assert image.inputs["target"] == "runtime"


# --- rolls only on change -----------------------------------------------------------------------

def document(plan) -> dict:
    return json.loads(plan_view.to_json(plan))


def copy_of_example(tmp_path: Path) -> Path:
    context = tmp_path / "api"
    shutil.copytree(PROJECT_ROOT / CONTEXT, context)
    return context


def test_an_unchanged_build_changes_nothing(run_config, tmp_path):
    context = copy_of_example(tmp_path)
    config = stack([built({"context": str(context)})], **ECS)
    assert diff.compare(document(run_config(config)), document(run_config(config))) == []


def test_a_code_change_rolls_the_service_and_nothing_else(run_config, tmp_path):
    context = copy_of_example(tmp_path)
    config = stack([built({"context": str(context)})], **ECS)
    before = run_config(config)
    (context / "server.py").write_text((context / "server.py").read_text() + "\n# changed\n")
    after = run_config(config)
    assert container_image(before) != container_image(after)
    changes = {c.key: [path for path, _, _ in c.fields]
               for c in diff.compare(document(before), document(after))}
    # A new revision with the new digest, which the service rolls to.
    assert changes == {"aws:ecs/taskDefinition:TaskDefinition api": ["containerDefinitions[0].image"],
                       "aws:ecs/service:Service api": ["taskDefinition"]}


# --- EKS and both platforms ---------------------------------------------------------------------

def test_eks_on_graviton_and_x86_nodes_runs_one_multi_platform_digest(run_config):
    plan = run_config(stack([built()], eks={**EKS, "nodeGroups": [
        {"name": "arm", "instanceTypes": ["m7g.large"]},
        {"name": "x86", "instanceTypes": ["m6i.large"]}]}))
    images = {i.name: i for i in plan.of_type(IMAGE)}
    assert sorted(images) == ["api-image-amd64", "api-image-arm64"]
    assert images["api-image-arm64"].inputs["platforms"] == [ARM64]
    # One cache per platform: a multi-platform build would cache only one of them.
    assert images["api-image-arm64"].inputs["cacheTo"][0]["registry"]["ref"] == (
        f"{URL}:shipyard-test-arm64-cache")
    [index] = plan.of_type(INDEX)
    assert index.inputs["tag"] == f"{URL}:shipyard-test"
    assert index.inputs["push"] is True and isinstance(index.inputs["registry"], Secret)
    assert {i.urn for i in images.values()} <= set(index.depends_on)
    [deployment] = plan.of_type("kubernetes:apps/v1:Deployment")
    reference = deployment.inputs["spec"]["template"]["spec"]["containers"][0]["image"]
    assert reference == plan.outputs["builtImages"]["api"]
    assert reference.startswith(f"{URL}@sha256:")
    [manifest] = [m for m in manifests(plan) if m["kind"] == "Deployment"]
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_a_cluster_outside_aws_gets_an_amd64_build_and_no_aws_network(run_config):
    plan = run_config(stack([built()], kubernetes={"kubeconfig": KUBECONFIG}))
    [image] = plan.of_type(IMAGE)
    assert image.inputs["platforms"] == [AMD64]
    assert plan.of_type("aws:ec2/vpc:Vpc") == []
    [deployment] = plan.of_type("kubernetes:apps/v1:Deployment")
    assert deployment.inputs["spec"]["template"]["spec"]["containers"][0]["image"] == (
        plan.outputs["builtImages"]["api"])


def test_the_build_plans_offline_for_ecs_and_eks_together(run_config):
    plan = run_config(stack([built()], ecs={"enabled": True},
                            eks={**EKS, "nodeGroups": [{"name": "arm", "instanceTypes": ["t4g.large"]}]}))
    [deployment] = plan.of_type("kubernetes:apps/v1:Deployment")
    image = deployment.inputs["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == container_image(plan) == plan.outputs["builtImages"]["api"]
    assert sorted(i.inputs["platforms"][0] for i in plan.of_type(IMAGE)) == [AMD64, ARM64]
    text = plan_view.to_text(plan)
    assert "+ shipyard:image:ImageBuild api-image" in text
    assert 'platforms=["linux/arm64"]' in text


# --- review tools -------------------------------------------------------------------------------

def test_cost_says_builds_are_not_an_aws_line(stack_plan):
    from shipyard.review import cost
    estimate = cost.estimate(stack_plan("dev"))
    assert cost.IMAGE_BUILDS_NOTE in estimate.not_included
    assert not any("docker" in line.item.lower() or "build" in line.item.lower()
                   for line in estimate.lines)


def test_graph_draws_the_build_feeding_the_task(stack_plan):
    from shipyard.review import graph
    plan = stack_plan("dev")
    [image] = plan.of_type(IMAGE)
    [task] = plan.of_type("aws:ecs/taskDefinition:TaskDefinition")
    dot = graph.dependencies_dot(plan)
    assert f"{json.dumps(image.urn)} -> {json.dumps(task.urn)};" in dot
    assert graph.FILL["images"] in dot


def test_dockerignored_files_do_not_change_the_digest(run_config, tmp_path):
    context = copy_of_example(tmp_path)
    config = stack([built({"context": str(context)})], **ECS)
    before = container_image(run_config(config))
    (context / "__pycache__").mkdir()
    (context / "__pycache__" / "server.cpython-311.pyc").write_bytes(b"\0compiled")
    assert container_image(run_config(config)) == before


def test_the_same_build_in_two_stacks_differs_only_by_stack_name(run_config):
    config = stack([built()], ecs={"enabled": True},
                   eks={**EKS, "nodeGroups": [{"name": "arm", "instanceTypes": ["t4g.large"]}]})
    assert diff.compare(document(run_config(config, stack="alpha")),
                        document(run_config(config, stack="beta"))) == []
