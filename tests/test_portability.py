"""GIVEN one service spec WHEN only its `runOn` changes THEN every platform runs the same
service: replicas, CPU and memory, port, health check, env, secrets and who calls it, each read
back from what that platform's plan records.

A platform is one row of READERS: a function from a plan and a service name to what that
platform gives the service (`Portable`). Adding a platform adds a row.
"""

from __future__ import annotations

import json
import re
from typing import Callable, NamedTuple

import pytest

from shipyard.engine import Plan
from shipyard.platforms.nomad.jobspec import callees_in
from tests.conftest import run_shipyard

OFFICE = ["203.0.113.0/24"]
MHZ_PER_VCPU = 2400
SECRET = "arn:aws:ssm:us-east-1:123456789012:parameter/api/token"
API = {"name": "api", "image": "ghcr.io/acme/api:1.2.3", "port": 8080, "cpu": 0.5,
       "memory": 1024, "replicas": 3, "healthCheckPath": "/healthz",
       "env": {"MODE": "prod", "LOG_LEVEL": "info"}, "secrets": {"TOKEN": SECRET}}
WEB = {"name": "web", "image": "ghcr.io/acme/web:1.0.0", "port": 3000, "replicas": 2,
       "calls": ["api"], "env": {"API_URL": "http://api:8080"}}
PLATFORMS = {
    "ecs": {"enabled": True},
    "eks": {"enabled": True, "endpointPublicAccess": True, "publicAccessCidrs": OFFICE,
            "nodeGroups": [{"name": "general"}]},
    "kubernetes": {"context": "my-cluster"},
    "nomad": {"enabled": True, "cpuMhzPerVcpu": MHZ_PER_VCPU},
}


class Portable(NamedTuple):
    replicas: int
    vcpu: float            # what the platform reserves for one replica
    memory_mib: int
    port: int
    health_path: str
    env: frozenset[str]     # the variables the app receives (plain, from callees, secrets)
    secrets: frozenset[str]
    callers: frozenset[str]


def _ecs(plan: Plan, name: str) -> Portable:
    service = next(s for s in plan.of_type("aws:ecs/service:Service") if s.inputs["name"] == name)
    task = plan.one("aws:ecs/taskDefinition:TaskDefinition", name)
    [container] = json.loads(task.inputs["containerDefinitions"])
    [group] = service.inputs["networkConfiguration"]["securityGroups"]
    callers = {re.fullmatch(r"from service (\S+), which calls it", r.inputs["description"])[1]
               for r in plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
               if r.inputs.get("securityGroupId") == group
               and "which calls it" in r.inputs.get("description", "")}
    health_path = re.search(r"http://localhost:\d+(\S*) ", container["healthCheck"]["command"][1])[1]
    secrets = {s["name"] for s in container["secrets"]}
    return Portable(service.inputs["desiredCount"], int(task.inputs["cpu"]) / 1024,
                    int(task.inputs["memory"]), container["portMappings"][0]["containerPort"],
                    health_path, frozenset({e["name"] for e in container["environment"]}
                                                     | secrets),
                    frozenset(secrets), frozenset(callers))


def _kubernetes_reader(target: str) -> Callable[[Plan, str], Portable]:
    def read(plan: Plan, name: str) -> Portable:
        deployment = plan.one("kubernetes:apps/v1:Deployment", f"{target}-{name}")
        [container] = deployment.inputs["spec"]["template"]["spec"]["containers"]
        requests = container["resources"]["requests"]
        policy = plan.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", f"{target}-{name}")
        callers = {peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                   for rule in policy.inputs["spec"]["ingress"] for peer in rule.get("from", [])}
        return Portable(
            deployment.inputs["spec"]["replicas"], int(requests["cpu"][:-1]) / 1000,
            int(requests["memory"][:-2]), container["ports"][0]["containerPort"],
            container["readinessProbe"]["httpGet"]["path"],
            frozenset(e["name"] for e in container["env"]),
            frozenset(e["name"] for e in container["env"] if "valueFrom" in e), frozenset(callers))
    return read


def _nomad(plan: Plan, name: str) -> Portable:
    specs = {spec["ID"]: spec for spec in (json.loads(j.inputs["jobspec"])
                                           for j in plan.of_type("nomad:index/job:Job"))}
    [group] = specs[name]["TaskGroups"]
    [task] = group["Tasks"]
    [network] = group["Networks"]
    [port] = network.get("DynamicPorts") or network["ReservedPorts"]
    [check] = group["Services"][0]["Checks"]
    rendered = {line.split("=", 1)[0] for template in task["Templates"]
                for line in template["EmbeddedTmpl"].splitlines() if "=" in line.split(" ")[0]}
    secrets = {line.split("=", 1)[0] for template in task["Templates"]
               if "nomadVar" in template["EmbeddedTmpl"]
               for line in template["EmbeddedTmpl"].splitlines() if "=" in line.split(" ")[0]}
    return Portable(group["Count"], task["Resources"]["CPU"] / MHZ_PER_VCPU,
                    task["Resources"]["MemoryMB"], port["To"], check["Path"],
                    frozenset(set(task["Env"]) | rendered), frozenset(secrets),
                    frozenset(caller for caller, spec in specs.items() if name in callees_in(spec)))


READERS: dict[str, Callable[[Plan, str], Portable]] = {
    "ecs": _ecs,
    "eks": _kubernetes_reader("eks"),
    "kubernetes": _kubernetes_reader("kubernetes"),
    "nomad": _nomad,
}


def moved_to(platform: str) -> Plan:
    """The two services on `platform` by `runOn` alone, in a stack enabling every platform."""
    return run_shipyard({**PLATFORMS, "services": [{**API, "runOn": [platform]},
                                                   {**WEB, "runOn": [platform]}]})


@pytest.fixture(scope="module")
def moved() -> dict[str, Plan]:
    return {platform: moved_to(platform) for platform in READERS}


def test_every_platform_has_a_reader():
    assert set(READERS) == set(PLATFORMS)


@pytest.mark.parametrize("platform", READERS)
def test_the_service_spec_moves_by_run_on_alone(moved, platform):
    api = READERS[platform](moved[platform], "api")
    assert api.replicas == API["replicas"]
    assert api.port == API["port"]
    assert api.health_path == API["healthCheckPath"]
    assert api.env == {"MODE", "LOG_LEVEL", "TOKEN"}
    assert api.secrets == {"TOKEN"}
    assert api.callers == {"web"}
    # ECS runs Fargate's sizes, the smallest that holds the request (and a Service Connect
    # proxy); the others reserve exactly what the spec asks.
    assert api.vcpu >= API["cpu"] and api.memory_mib >= API["memory"]
    if platform != "ecs":
        assert (api.vcpu, api.memory_mib) == (API["cpu"], API["memory"])
    web = READERS[platform](moved[platform], "web")
    assert (web.replicas, web.port, web.health_path) == (2, 3000, "/")
    assert web.env == {"API_URL"} and web.secrets == frozenset() and web.callers == frozenset()


def test_every_platform_reads_the_same(moved):
    """Apart from ECS's Fargate sizes, the platforms agree field by field."""
    seen = {platform: READERS[platform](moved[platform], "api")._replace(vcpu=0, memory_mib=0)
            for platform in READERS}
    assert len(set(seen.values())) == 1, seen
