"""GIVEN one service spec WHEN only its `runOn` moves it between ECS, EKS, an existing Kubernetes
cluster, Docker Swarm and HashiCorp Nomad THEN each platform's recorded resources run it the same: replicas,
CPU and memory, health path, environment, callers and the address they call it at.

Each platform reads its own resources through one function in VIEWS; a new platform is one more
function there.
"""

from __future__ import annotations

import json
import re
from typing import Callable, NamedTuple

import pytest

from shipyard.platforms.ecs.task import PROXY_MIB, PROXY_VCPU
from shipyard.review import engine, traffic
from tests.conftest import run_shipyard

MHZ_PER_VCPU = 2400  # shipyard:nomad.cpuMhzPerVcpu: what Nomad reserves per vCPU
# Every platform enabled; the services choose one by `runOn` alone.
PLATFORMS = {
    "network": {"availabilityZones": 2},
    "ecs": {"enabled": True},
    "eks": {"enabled": True, "publicAccessCidrs": ["203.0.113.0/24"], "nodeGroups": [
        {"name": "general", "instanceTypes": ["t3.medium"], "minSize": 2, "maxSize": 4}]},
    "kubernetes": {"context": "my-cluster"},
    "swarm": {"host": "ssh://deploy@manager.example.com"},
    "nomad": {"enabled": True, "cpuMhzPerVcpu": MHZ_PER_VCPU},
}
# 0.75 vCPU and 1984 MiB: with ECS's Service Connect proxy (0.25 vCPU, 64 MiB) an exact Fargate
# size, so every platform gives the app exactly this much.
API = {"name": "api", "image": "ghcr.io/acme/api:1.0.0", "port": 8080, "replicas": 3,
       "cpu": 0.75, "memory": 1984, "healthCheckPath": "/healthz",
       "env": {"LOG_LEVEL": "info", "FEATURE_X": "on"}}
WEB = {"name": "web", "image": "ghcr.io/acme/web:1.0.0", "port": 3000, "calls": ["api"],
       "env": {"API_URL": "http://api:8080"}}


# Nomad has no cluster DNS for native service discovery: a caller's `http://api:8080` is
# rendered from the catalog into one healthy allocation's address and port (docs/nomad.md).
ADDRESS = {"nomad": "http://<address>:<port> from the catalog"}


class Running(NamedTuple):
    """How a platform runs `api`, read from its recorded resources."""

    replicas: int
    cpu: float          # vCPU for the app
    memory: int         # MiB for the app
    health_path: str
    env: dict[str, str]
    callers: tuple[str, ...]
    addresses: tuple[str, ...]   # how its callers address it


def _url_path(text: str) -> str:
    return re.search(r"http://(?:localhost|127\.0\.0\.1):\d+(/\S*?)['\"]?(?:\s|$)", text).group(1)


def _calls_into(plan: engine.Plan, urn: str, name_of: Callable[[engine.Resource], str]
                ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    flows = [f for f in traffic.of_plan(plan).flows if f.kind == "call" and f.target == urn]
    return (tuple(sorted(name_of(plan.by_urn(f.source)) for f in flows)),
            tuple(sorted({f.label for f in flows})))


def ecs_view(plan: engine.Plan) -> Running:
    service = plan.one("aws:ecs/service:Service", "api")
    task = plan.one("aws:ecs/taskDefinition:TaskDefinition", "api")
    [container] = json.loads(task.inputs["containerDefinitions"])
    # The task holds the app and its Service Connect proxy (shipyard/platforms/ecs/task.py task_size).
    proxied = bool(service.inputs["serviceConnectConfiguration"]["enabled"])
    callers, addresses = _calls_into(plan, service.urn, lambda r: r.inputs["name"])
    return Running(service.inputs["desiredCount"],
                   int(task.inputs["cpu"]) / 1024 - (PROXY_VCPU if proxied else 0),
                   int(task.inputs["memory"]) - (PROXY_MIB if proxied else 0),
                   _url_path(" ".join(container["healthCheck"]["command"]) + " "),
                   {e["name"]: e["value"] for e in container["environment"]},
                   callers, addresses)


def _kubernetes_view(target: str) -> Callable[[engine.Plan], Running]:
    def view(plan: engine.Plan) -> Running:
        deployment = plan.one("kubernetes:apps/v1:Deployment", f"{target}-api")
        [container] = deployment.inputs["spec"]["template"]["spec"]["containers"]
        requests = container["resources"]["requests"]
        callers, addresses = _calls_into(plan, deployment.urn,
                                         lambda r: r.inputs["metadata"]["name"])
        return Running(deployment.inputs["spec"]["replicas"],
                       int(requests["cpu"].removesuffix("m")) / 1000,
                       int(requests["memory"].removesuffix("Mi")),
                       container["readinessProbe"]["httpGet"]["path"],
                       {e["name"]: e["value"] for e in container["env"]}, callers, addresses)
    return view


def swarm_view(plan: engine.Plan) -> Running:
    service = plan.one("docker:index/service:Service", "swarm-api")
    task = service.inputs["taskSpec"]
    limits = task["resources"]["limits"]
    labels = {entry["label"]: entry["value"] for entry in service.inputs["labels"]}
    callers, addresses = _calls_into(plan, service.urn, lambda r: next(
        e["value"] for e in r.inputs["labels"] if e["label"] == "shipyard.service"))
    assert labels["shipyard.service"] == "api"
    return Running(service.inputs["mode"]["replicated"]["replicas"],
                   limits["nanoCpus"] / 1e9, limits["memoryBytes"] // 1_048_576,
                   _url_path(task["containerSpec"]["healthcheck"]["tests"][-1] + " "),
                   task["containerSpec"]["env"], callers, addresses)


def nomad_view(plan: engine.Plan) -> Running:
    job = plan.one("nomad:index/job:Job", "nomad-api")
    [group] = json.loads(job.inputs["jobspec"])["TaskGroups"]
    [task] = group["Tasks"]
    [check] = group["Services"][0]["Checks"]
    callers, addresses = _calls_into(plan, job.urn, lambda r: json.loads(r.inputs["jobspec"])["ID"])
    return Running(group["Count"], task["Resources"]["CPU"] / MHZ_PER_VCPU,
                   task["Resources"]["MemoryMB"], check["Path"], task["Env"], callers, addresses)


VIEWS: dict[str, Callable[[engine.Plan], Running]] = {
    "ecs": ecs_view,
    "eks": _kubernetes_view("eks"),
    "kubernetes": _kubernetes_view("kubernetes"),
    "swarm": swarm_view,
    "nomad": nomad_view,
}


@pytest.fixture(scope="module")
def running() -> dict[str, Running]:
    return {platform: view(moved_to(platform)) for platform, view in VIEWS.items()}


def moved_to(platform: str) -> engine.Plan:
    """Both services on `platform` by `runOn` alone, in a stack enabling every platform."""
    return run_shipyard({**PLATFORMS, "services": [{**API, "runOn": [platform]},
                                                   {**WEB, "runOn": [platform]}]})


def test_the_views_cover_every_registered_platform():
    from shipyard.platforms import NAMES
    assert set(VIEWS) == set(NAMES)


@pytest.mark.parametrize("platform", VIEWS)
def test_one_spec_runs_the_same_on_each_platform_by_run_on_alone(platform, running):
    assert running[platform] == Running(
        replicas=3, cpu=0.75, memory=1984, health_path="/healthz",
        env={"LOG_LEVEL": "info", "FEATURE_X": "on"}, callers=("web",),
        addresses=(ADDRESS.get(platform, "http://api:8080"),))
