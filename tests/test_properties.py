"""Property-based tests (hypothesis): GIVEN any valid config THEN it plans, the same way twice;
GIVEN a valid config with one value made invalid THEN the problem names that value's key.

Hypothesis runs derandomized with a fixed, modest number of examples, so the suite stays
deterministic and fast (each plan runs the real program under mocks).
"""

from __future__ import annotations

import copy
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shipyard.config import ConfigError
from shipyard.review import engine

PLAN_SETTINGS = settings(max_examples=8, derandomize=True, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.too_slow])
MUTATION_SETTINGS = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.too_slow])

KUBECONFIG = "clusters: [{name: c, cluster: {server: 'https://k8s.example.internal'}}]"
IMAGES = ["nginx:1.27", "ghcr.io/acme/api:1.4.2", "public.ecr.aws/docker/library/redis:7.4",
          "nginx@sha256:" + "0" * 64, "localhost:5000/team/app:v2"]
ECR_IMAGES = ["123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api:1.4.2"]
FARGATE_SIZES = [(0.25, 512), (0.5, 1024), (1, 2048), (2, 4096)]  # vCPU, MiB
X86_TYPES = ["t3.medium", "m6i.large", "c6i.large"]
ARM_TYPES = ["t4g.medium", "m7g.large", "a1.large"]


@st.composite
def node_groups(draw) -> list[dict[str, Any]]:
    groups = []
    for index in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["managed", "selfManaged"]))
        types = draw(st.sampled_from([X86_TYPES, ARM_TYPES]))
        group: dict[str, Any] = {
            "name": f"group-{index}", "type": kind,
            "instanceTypes": [draw(st.sampled_from(types))] if kind == "selfManaged"
            else draw(st.lists(st.sampled_from(types), min_size=1, max_size=2, unique=True)),
            # The first group always runs the cluster's own add-ons (CoreDNS, metrics-server).
            "minSize": draw(st.integers(1 if index == 0 else 0, 2)),
            "maxSize": draw(st.integers(2, 5)),
            "labels": {"team": draw(st.sampled_from(["shop", "data"])),
                       "node.kubernetes.io/lifecycle": "normal"} if kind == "selfManaged"
            else {"team": draw(st.sampled_from(["shop", "data"]))},
            "taints": [] if index == 0 else draw(st.sampled_from(
                [[], [{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}]]))}
        if kind == "selfManaged" and draw(st.booleans()):
            group.update(capacityType="SPOT", spotPrice="0.05")
        groups.append(group)
    return groups


@st.composite
def valid_configs(draw) -> dict[str, Any]:
    """A `shipyard:` config (keys without the namespace) that must plan."""
    platforms = draw(st.sampled_from([["ecs"], ["eks"], ["kubernetes"], ["ecs", "kubernetes"],
                                      ["ecs", "eks"]]))
    config: dict[str, Any] = {"production": draw(st.booleans())}
    nat = draw(st.sampled_from(["single", "perAz", "none"]))
    config["network"] = {
        "cidrBlock": draw(st.sampled_from(["10.0.0.0/16", "10.20.0.0/20", "172.16.0.0/22",
                                           "192.168.0.0/16"])),
        # us-east-1 has 5 zones where EKS and Fargate run (shipyard/aws/zones.py)
        "availabilityZones": draw(st.integers(2, 5)), "natGateways": nat,
        "vpcEndpoints": nat == "none" or draw(st.booleans())}
    repositories = draw(st.lists(st.sampled_from(["shop/api", "web", "team/worker-1"]),
                                 max_size=2, unique=True))
    config["ecr"] = {"repositories": [
        {"name": name, "keepLastImages": draw(st.integers(1, 100))} for name in repositories]}
    if "ecs" in platforms:
        capacity = draw(st.sampled_from(["fargate", "fargateSpot", "ec2"]))
        config["ecs"] = {"enabled": True, "capacity": capacity}
        if capacity == "ec2":
            config["ecs"]["ec2"] = {"instanceType": draw(st.sampled_from(X86_TYPES + ARM_TYPES))}
    if "eks" in platforms:
        config["eks"] = {"enabled": True, "publicAccessCidrs": ["203.0.113.0/24"],
                         "privateAccessCidrs": ["10.8.0.0/16"],
                         "nodeGroups": draw(node_groups()),
                         "namespace": draw(st.sampled_from(["apps", "shop"]))}
        if config["production"]:  # a private endpoint: reachable once the stack exists
            config["deploy"] = {"bootstrapped": True}
    if "kubernetes" in platforms:
        config["kubernetes"] = {"kubeconfig": KUBECONFIG,
                                "namespace": draw(st.sampled_from(["apps", "web"]))}
    # Prebuilt images count as amd64 only unless they list more: on Graviton capacity they
    # must say they have arm64 (an image no capacity of its platforms runs is a config error).
    graviton = (config.get("ecs", {}).get("ec2", {}).get("instanceType") in ARM_TYPES
                or any(t in ARM_TYPES for group in config.get("eks", {}).get("nodeGroups", [])
                       for t in group["instanceTypes"]))
    services = []
    for name in draw(st.lists(st.sampled_from(["api", "web", "worker"]), max_size=3, unique=True)):
        # On EC2 capacity a task must fit one instance (4 GiB ones offer tasks 3717 MiB).
        ec2 = config.get("ecs", {}).get("capacity") == "ec2"
        cpu, memory = draw(st.sampled_from(FARGATE_SIZES[:2] if ec2 else FARGATE_SIZES))
        service: dict[str, Any] = {
            "name": name, "cpu": cpu, "memory": memory, "replicas": draw(st.integers(1, 3)),
            "port": draw(st.sampled_from([80, 8080, 9000])), "healthCheckPath": "/healthz",
            "public": draw(st.booleans()),
            "env": {"LOG_LEVEL": draw(st.sampled_from(["info", "debug"]))}}
        if service["public"] and "ecs" in platforms:
            service["path"] = f"/{name}/*"  # the ALB route (ECS only)
        if repositories and draw(st.booleans()):
            service.update(repository=draw(st.sampled_from(repositories)), tag="1.4.2")
        else:
            # without NAT only ECR is reachable (a public registry is a config error)
            service["image"] = draw(st.sampled_from(ECR_IMAGES if nat == "none" else IMAGES))
        architectures = draw(st.sampled_from(
            [["amd64", "arm64"], ["arm64", "amd64"]] + ([] if graviton else [None, ["amd64"]])))
        if architectures:
            service["architectures"] = architectures
        if draw(st.booleans()):
            service["secrets"] = {"DB_PASSWORD": "arn:aws:secretsmanager:us-east-1:123456789012:"
                                                 "secret:dev/db-AbCdEf:password::"}
        services.append(service)
    config["services"] = services
    return config


def run(config: dict[str, Any]) -> engine.Plan:
    return engine.run("prop", config={"aws:region": "us-east-1",
                                      **{f"shipyard:{k}": v for k, v in config.items()}})


@PLAN_SETTINGS
@given(valid_configs())
def test_any_valid_config_plans_the_same_way_twice(config):
    first = run(config)
    assert first.resources
    assert run(config) == first


# Invalid values per key name: each breaks that key on its own (a single-key check).
INVALID: dict[str, list[Any]] = {
    "production": ["maybe"],
    "cidrBlock": ["224.0.0.0/16", "10.0.0.0/8", "10.0.0.1/16", "vpc"],
    "availabilityZones": [1, 7, "two"],
    "natGateways": ["many"],
    "keepLastImages": [0, 10001],
    "capacity": ["spot"],
    "instanceType": ["t3.huge", "M5.LARGE"],
    "instanceTypes": [[], ["t3.huge"]],
    "namespace": ["kube-system", "default", "Apps"],
    "publicAccessCidrs": [["203.0.113.0/33"]],
    "labels": [{"kubernetes.io/role": "worker"}, {"-bad": "x"}],
    "kubeconfig": ["hello"],
    "name": ["Bad_Name", "-x-"],
    "image": ["nginx", "Nginx:1", "nginx:", "nginx@sha256:abc", "ng inx:1", "nginx:latest"],
    "tag": ["latest", "1/2", ".x"],
    "cpu": [0, -1, 500],
    "memory": [0, 64],
    "replicas": [0],
    "port": [0, 70000],
    "path": ["api", "/a b", "/a#b"],
    "healthCheckPath": ["healthz"],
    "public": ["sometimes"],
    "env": [{"1BAD": "x"}],
    "secrets": [{"DB": "hunter2"}],
    "architectures": [["x86_64"], ["sparc"], [], ["amd64", "amd64"], "amd64"],
}


def _targets(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of every value in the config whose key has invalid values to try."""
    if isinstance(value, dict):
        for key, child in value.items():
            if key in INVALID:
                yield (*path, key)
            if key not in ("labels", "env", "secrets"):  # their keys are data, not settings
                yield from _targets(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _targets(child, (*path, index))


def _key(path: tuple[Any, ...]) -> str:
    return "shipyard:" + "".join(f"[{p}]" if isinstance(p, int) else ("." if i else "") + p
                                 for i, p in enumerate(path))


@st.composite
def mutations(draw) -> tuple[dict[str, Any], str]:
    config = draw(valid_configs())
    path = draw(st.sampled_from(sorted(_targets(config), key=str)))
    mutated = copy.deepcopy(config)
    holder = mutated
    for part in path[:-1]:
        holder = holder[part]
    holder[path[-1]] = draw(st.sampled_from(INVALID[path[-1]]))
    return mutated, _key(path)


@MUTATION_SETTINGS
@given(mutations())
def test_one_invalid_value_fails_naming_its_key(mutation):
    config, key = mutation
    with pytest.raises(ConfigError) as caught:
        run(config)
    assert any(p.startswith(key) and p[len(key)] in ":.[" for p in caught.value.problems), (
        key, caught.value.problems)
    assert caught.value.registered == ()


def test_key_paths_are_spelled_as_in_error_messages():
    assert _key(("eks", "nodeGroups", 1, "labels")) == "shipyard:eks.nodeGroups[1].labels"
    assert _key(("production",)) == "shipyard:production"
