"""services[].architectures: GIVEN the CPU architectures of a service's image and the capacity of
its platforms WHEN the stack plans THEN every container lands where its image runs — Kubernetes
pods kept to matching nodes by `kubernetes.io/arch`, ECS tasks on a matching `cpuArchitecture` —
or the config is refused, naming the key.

The expectations below come from the facts themselves (instance families, Fargate, EKS Fargate),
written out here rather than read from shipyard/services/architectures.py.
"""

from __future__ import annotations

import itertools
from typing import Any, Optional

import botocore.session
import kubernetes_validate
import pytest

from shipyard.config import ConfigError, parse
from shipyard.platforms.kubernetes import manifests as k8s_manifests
from shipyard.review import cost
from shipyard.review.engine import Plan
from tests.conftest import run_shipyard
from tests.test_kubernetes import KUBECONFIG, KUBERNETES_VERSION, manifests

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
IMAGE = "docker-build:index:Image"
ARCH = "kubernetes.io/arch"
EKS = {"enabled": True, "publicAccessCidrs": ["203.0.113.0/24"]}
MIXED = {**EKS, "nodeGroups": [{"name": "graviton", "instanceTypes": ["m7g.large", "c7g.large"]},
                               {"name": "x86", "instanceTypes": ["m6i.large"]},
                               {"name": "batch", "type": "selfManaged",
                                "instanceTypes": ["t4g.large"]}]}
X86_ONLY = {**EKS, "nodeGroups": [{"name": "general", "instanceTypes": ["t3.large"]}]}
REPO = "shop/api"
BUILT = {"repository": REPO, "build": {"context": "examples/hello-api"}}


def service(name: str, architectures: Optional[list[str]] = None, **extra: Any) -> dict:
    spec = {"name": name, "image": "nginx:1.27", **extra}
    if architectures is not None:
        spec["architectures"] = architectures
    return spec


def pods(plan: Plan, target: str = "eks") -> dict[str, dict]:
    """Service name -> its Deployment's pod spec on `target`."""
    return {d.name.removeprefix(f"{target}-"): d.inputs["spec"]["template"]["spec"]
            for d in plan.of_type(DEPLOYMENT) if d.name.startswith(f"{target}-")}


def allowed(pod: dict) -> Optional[set[str]]:
    """The node architectures a pod may be scheduled on (None: any), from its nodeSelector and
    required node affinity, read the way the scheduler reads them."""
    found: Optional[set[str]] = None
    if ARCH in pod.get("nodeSelector", {}):
        found = {pod["nodeSelector"][ARCH]}
    required = (pod.get("affinity", {}).get("nodeAffinity", {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if required:
        terms = set()
        for term in required["nodeSelectorTerms"]:  # terms are ORed, expressions ANDed
            values = {"amd64", "arm64"}
            for expression in term["matchExpressions"]:
                if expression["key"] == ARCH:
                    assert expression["operator"] == "In"
                    values &= set(expression["values"])
            terms |= values
        found = terms if found is None else found & terms
    return found


def cpu_architectures(plan: Plan) -> dict[str, str]:
    return {t.name: t.inputs["runtimePlatform"]["cpuArchitecture"] for t in plan.of_type(TASK)}


# --- EKS: mixed Graviton and x86 node groups ------------------------------------------------------

@pytest.fixture(scope="module")
def mixed() -> Plan:
    return run_shipyard({"eks": MIXED, "services": [
        service("plain"),                                  # default: amd64 only
        service("x86", ["amd64"]),
        service("graviton", ["arm64"]),
        service("multi", ["amd64", "arm64"])]})


def test_an_amd64_only_image_is_kept_off_the_graviton_nodes(mixed):
    assert pods(mixed)["plain"]["nodeSelector"] == {ARCH: "amd64"}
    assert pods(mixed)["x86"]["nodeSelector"] == {ARCH: "amd64"}


def test_an_arm64_only_image_is_kept_on_the_graviton_nodes(mixed):
    assert pods(mixed)["graviton"]["nodeSelector"] == {ARCH: "arm64"}


def test_a_multi_architecture_image_may_run_on_any_node(mixed):
    pod = pods(mixed)["multi"]
    assert "nodeSelector" not in pod and "affinity" not in pod
    assert allowed(pod) is None


def test_every_pod_may_only_land_on_nodes_its_image_runs_on(mixed):
    node_architectures = {"amd64", "arm64"}  # m7g/c7g/t4g are Graviton, m6i is x86
    images = {"plain": {"amd64"}, "x86": {"amd64"}, "graviton": {"arm64"},
              "multi": {"amd64", "arm64"}}
    for name, pod in pods(mixed).items():
        may_land_on = node_architectures & (allowed(pod) or node_architectures)
        assert may_land_on and may_land_on <= images[name], name


def test_the_constrained_deployments_are_valid_kubernetes_objects(mixed):
    deployments = [m for m in manifests(mixed) if m["kind"] == "Deployment"]
    assert len(deployments) == 4
    for manifest in deployments:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_a_cluster_of_one_architecture_needs_no_selector():
    plan = run_shipyard({"eks": X86_ONLY, "services": [
        service("plain"), service("x86", ["amd64"]), service("multi", ["arm64", "amd64"])]})
    for pod in pods(plan).values():
        assert "nodeSelector" not in pod and "affinity" not in pod


def test_tainted_graviton_nodes_do_not_count():
    """Shipyard's pods tolerate no NoSchedule taint, so an amd64 image beside a tainted
    Graviton group needs no selector, and an arm64 one has nowhere to go."""
    tainted = {**EKS, "nodeGroups": [
        {"name": "general", "instanceTypes": ["t3.large"]},
        {"name": "gpu", "instanceTypes": ["m7g.large"],
         "taints": [{"key": "dedicated", "effect": "NoSchedule"}]}]}
    plan = run_shipyard({"eks": tainted, "services": [service("plain", ["amd64"])]})
    assert "nodeSelector" not in pods(plan)["plain"]
    with pytest.raises(ConfigError) as caught:
        parse({"eks": tainted, "services": [service("api", ["arm64"])]})
    assert [p.split(": ")[0] for p in caught.value.problems] == ["shipyard:services[0].architectures"]


def test_eks_fargate_pods_are_amd64_and_get_no_selector():
    """The namespace's pods all run on Fargate (x86 only), however many Graviton nodes there are."""
    plan = run_shipyard({"ecr": {"repositories": [{"name": REPO}]}, "eks": {
        **MIXED, "fargateProfiles": [{"name": "apps", "namespaces": ["apps"]}]}, "services": [
        service("plain", ["amd64"]), service("multi", ["arm64", "amd64"]), {"name": "api", **BUILT}]})
    for pod in pods(plan).values():
        assert "nodeSelector" not in pod and "affinity" not in pod
    [image] = plan.of_type(IMAGE)
    assert image.inputs["platforms"] == ["linux/amd64"]


def test_a_built_image_covers_the_cluster_and_needs_no_selector_a_prebuilt_one_does():
    plan = run_shipyard({"ecr": {"repositories": [{"name": REPO}]}, "eks": MIXED,
                         "kubernetes": {"kubeconfig": KUBECONFIG},
                         "services": [{"name": "api", **BUILT}, service("plain")]})
    assert sorted(i.inputs["platforms"][0] for i in plan.of_type(IMAGE)) == [
        "linux/amd64", "linux/arm64"]
    for target in ("eks", "kubernetes"):
        assert "nodeSelector" not in pods(plan, target)["api"]
        assert pods(plan, target)["plain"]["nodeSelector"] == {ARCH: "amd64"}


# --- any existing cluster: its nodes are unknown ---------------------------------------------

def test_on_an_existing_cluster_single_architecture_images_get_a_selector():
    plan = run_shipyard({"ecr": {"repositories": [{"name": REPO}]},
                         "kubernetes": {"kubeconfig": KUBECONFIG}, "services": [
        service("plain"), service("graviton", ["arm64"]), service("multi", ["amd64", "arm64"]),
        {"name": "built", **BUILT}]})
    on_cluster = pods(plan, "kubernetes")
    assert on_cluster["plain"]["nodeSelector"] == {ARCH: "amd64"}
    assert on_cluster["graviton"]["nodeSelector"] == {ARCH: "arm64"}
    assert "nodeSelector" not in on_cluster["multi"] and "affinity" not in on_cluster["multi"]
    # Built for amd64 only (the common case), so kept to amd64 nodes.
    [image] = plan.of_type(IMAGE)
    assert image.inputs["platforms"] == ["linux/amd64"]
    assert on_cluster["built"]["nodeSelector"] == {ARCH: "amd64"}


def test_several_architectures_become_a_required_node_affinity():
    spec = parse({"kubernetes": {"context": "x"}, "services": [service("api")]}).services[0]
    manifest = k8s_manifests.deployment(spec, "apps", "nginx:1.27", 2,
                                        architectures=("amd64", "arm64"))
    pod = manifest["spec"]["template"]["spec"]
    assert "nodeSelector" not in pod
    assert pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [{"matchExpressions": [
            {"key": ARCH, "operator": "In", "values": ["amd64", "arm64"]}]}]}
    assert allowed(pod) == {"amd64", "arm64"}
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


# --- ECS: one cpuArchitecture per task definition ----------------------------------------------

def ecs(capacity: str = "fargate", instance_type: Optional[str] = None, *services: dict) -> Plan:
    settings: dict[str, Any] = {"enabled": True, "capacity": capacity}
    if instance_type:
        settings["ec2"] = {"instanceType": instance_type}
    return run_shipyard({"ecs": settings, "services": list(services)})


def test_fargate_runs_the_first_architecture_listed():
    plan = ecs("fargate", None, service("plain"), service("graviton", ["arm64"]),
               service("prefers-arm", ["arm64", "amd64"]), service("prefers-x86", ["amd64", "arm64"]))
    assert cpu_architectures(plan) == {"plain": "X86_64", "graviton": "ARM64",
                                       "prefers-arm": "ARM64", "prefers-x86": "X86_64"}
    enum = botocore.session.get_session().get_service_model("ecs").shape_for("CPUArchitecture").enum
    assert set(cpu_architectures(plan).values()) <= set(enum)


def test_fargate_spot_runs_arm64_tasks():
    """FARGATE_SPOT takes ARM64 tasks on platform version 1.4.0 or later (botocore's ecs model,
    CapacityProviderStrategyItem); Shipyard's services run platform LATEST."""
    plan = ecs("fargateSpot", None, service("graviton", ["arm64"]))
    assert cpu_architectures(plan) == {"graviton": "ARM64"}
    [ecs_service] = plan.of_type("aws:ecs/service:Service")
    assert ecs_service.inputs["platformVersion"] == "LATEST"
    assert "FARGATE_SPOT" in {s["capacityProvider"]
                              for s in ecs_service.inputs["capacityProviderStrategies"]}


def test_arm64_fargate_tasks_are_priced_at_the_arm_rate():
    x86 = cost.estimate(ecs("fargate", None, service("api", ["amd64", "arm64"])))
    arm = cost.estimate(ecs("fargate", None, service("api", ["arm64", "amd64"])))
    [x86_line] = [line for line in x86.lines if line.item == "ECS Fargate api"]
    [arm_line] = [line for line in arm.lines if line.item == "ECS Fargate api"]
    assert arm_line.monthly < x86_line.monthly


def test_ec2_tasks_run_the_instances_architecture():
    assert cpu_architectures(ecs("ec2", "t4g.medium", service("api", ["amd64", "arm64"]))) == {
        "api": "ARM64"}
    assert cpu_architectures(ecs("ec2", "m6i.large", service("api", ["arm64", "amd64"]))) == {
        "api": "X86_64"}


# --- every combination: it runs where it lands, or the config says why not ---------------------

# capacity -> (the config, what its containers can run on), from the facts: Fargate runs X86_64
# and ARM64 tasks; EC2 tasks run on their instances' architecture; EKS Fargate is x86 only.
ECS_CAPACITIES = {
    "fargate": ({"capacity": "fargate"}, {"amd64", "arm64"}),
    "fargateSpot": ({"capacity": "fargateSpot"}, {"amd64", "arm64"}),
    "ec2 t3": ({"capacity": "ec2", "ec2": {"instanceType": "t3.medium"}}, {"amd64"}),
    "ec2 t4g": ({"capacity": "ec2", "ec2": {"instanceType": "t4g.medium"}}, {"arm64"}),
}
EKS_CAPACITIES = {
    "x86": (X86_ONLY, {"amd64"}),
    "graviton": ({**EKS, "nodeGroups": [{"name": "arm", "instanceTypes": ["a1.large"]}]}, {"arm64"}),
    "mixed": (MIXED, {"amd64", "arm64"}),
    "fargate": ({**EKS, "fargateProfiles": [{"name": "apps", "namespaces": ["apps"]}]}, {"amd64"}),
}
IMAGES = {"default": None, "amd64": ["amd64"], "arm64": ["arm64"],
          "both": ["amd64", "arm64"], "both, arm first": ["arm64", "amd64"]}
ECS_NAMES = {"X86_64": "amd64", "ARM64": "arm64"}


@pytest.mark.parametrize("ecs_capacity, eks_capacity", list(itertools.product(
    ECS_CAPACITIES, EKS_CAPACITIES)))
def test_each_container_runs_where_it_lands_or_the_config_says_why(ecs_capacity, eks_capacity):
    ecs_settings, ecs_runs = ECS_CAPACITIES[ecs_capacity]
    eks_settings, eks_runs = EKS_CAPACITIES[eks_capacity]
    for label, listed in IMAGES.items():
        image = set(listed or ["amd64"])
        config = {"ecs": {"enabled": True, **ecs_settings}, "eks": eks_settings,
                  "services": [service("api", listed)]}
        if not image & ecs_runs or not image & eks_runs:
            with pytest.raises(ConfigError) as caught:
                run_shipyard(config)
            assert [p.split(": ")[0] for p in caught.value.problems] == [
                "shipyard:services[0].architectures"] * ((not image & ecs_runs)
                                                         + (not image & eks_runs)), label
            assert caught.value.registered == ()
            continue
        plan = run_shipyard(config)
        task = ECS_NAMES[cpu_architectures(plan)["api"]]
        assert task in image & ecs_runs, label
        if listed:  # the first listed that the capacity runs
            assert task == next(a for a in listed if a in ecs_runs), label
        may_land_on = eks_runs & (allowed(pods(plan)["api"]) or eks_runs)
        assert may_land_on and may_land_on <= image, label
        if eks_runs <= image:
            assert allowed(pods(plan)["api"]) is None, label  # no constraint it doesn't need
