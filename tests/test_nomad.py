"""Nomad jobs: GIVEN a service spec on `shipyard:nomad` WHEN the program runs offline THEN the
recorded `nomad.Job`'s jobspec is what Nomad must receive, key by key against Nomad's own API
structs (shipyard/platforms/nomad/api_fields.py), and passes the checks Nomad makes at
registration (validation.py). No Nomad binary exists here: docs/nomad.md says what only a real
cluster shows."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from shipyard import shipped_stacks
from shipyard.cli import main
from shipyard.config import ConfigError, parse
from shipyard.config.rules import platform_notes
from shipyard.config.schema import Service
from shipyard.platforms import PLATFORMS
from shipyard.platforms.nomad import jobspec as builder
from shipyard.platforms.nomad import rules as nomad_rules
from shipyard.platforms.nomad.api_fields import DOCKER_CONFIG, FIELDS, field_problems
from shipyard.platforms.nomad.facts import NO_AWS_COST
from shipyard.platforms.nomad.spec import Nomad
from shipyard.platforms.nomad.validation import job_problems
from shipyard.review import ci, controls, cost, engine, lifecycle, traffic
from shipyard.review.controls.base import Resource as Checked
from shipyard.review.engine import Plan, Resource, Secret
from shipyard.review.mocks import secret_document
from shipyard.services.containers import secret_versions_digest
from tests.conftest import PROJECT, run_shipyard

JOB = "nomad:index/job:Job"
VARIABLE = "nomad:index/variable:Variable"
PROVIDER = "pulumi:providers:nomad"
EXAMPLE = PROJECT / "examples" / "two-service-app" / "Pulumi.nomad.yaml"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
PARAMETER = "arn:aws:ssm:us-east-1:123456789012:parameter/app/key"
NOMAD = {"enabled": True, "address": "https://nomad.example.internal:4646", "region": "eu",
         "namespace": "shop", "datacenters": ["dc1", "dc2"], "cpuMhzPerVcpu": 2400}
API = {"name": "api", "image": "ghcr.io/acme/api:1.2.3", "port": 8080, "cpu": 0.5,
       "memory": 1024, "replicas": 3, "healthCheckPath": "/healthz",
       "env": {"MODE": "prod"}, "secrets": {"DB_PASSWORD": f"{SECRET}:password::",
                                            "KEY": PARAMETER}}
WEB = {"name": "web", "image": "ghcr.io/acme/web:1.0.0", "port": 3000, "replicas": 2,
       "public": True, "calls": ["api"], "healthCheckPath": "/ready",
       "env": {"API_URL": "http://api:8080/v1", "OTHER": "api:80801", "TITLE": "{{ not a template }}"}}
BUILT = {"name": "api", "repository": "shop/api", "build": {"context": "examples/hello-api"}}

CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----"
CLIENT_PEM = "-----BEGIN CERTIFICATE-----\nMIIBclient\n-----END CERTIFICATE-----"

STACKS = {
    "shop": {"nomad": NOMAD, "services": [API, WEB]},
    "consul-fixed-count": {
        "nomad": {**NOMAD, "discovery": "consul", "autoscaling": {"enabled": False},
                  "token": {"secure": "v1:token"}, "caPem": CA_PEM, "certPem": CLIENT_PEM,
                  "keyPem": {"secure": "v1:key"}},
        "services": [API, WEB]},
    "built-on-arm-and-x86": {
        "ecr": {"repositories": [{"name": "shop/api"}]}, "nomad": NOMAD, "services": [BUILT]},
    "bounded-autoscaling": {
        "nomad": {**NOMAD, "autoscaling": {"minReplicas": 2, "maxReplicas": 5,
                                           "targetMemoryPercent": None}},
        "services": [API]},
}


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {name: run_shipyard(shipyard) for name, shipyard in STACKS.items()}


@pytest.fixture(scope="module")
def every_plan_with_nomad(plans) -> dict[str, Plan]:
    """Every plan the suite makes that holds a Nomad job: the shipped stacks that enable Nomad,
    every worked example, the stacks above, and the Nomad stacks of test_lifecycle.py (with
    their production twins) and test_portability.py."""
    from tests import test_lifecycle, test_portability

    every = {f"stack {s}": engine.run(s) for s in shipped_stacks(PROJECT)
             if engine.stack_config(s).get("shipyard:nomad")}
    for path in sorted((PROJECT / "examples").glob("*/Pulumi.*.yaml")):
        stack = path.name[len("Pulumi."):-len(".yaml")]
        every[f"{path.parent.name}.{stack}"] = engine.run(stack, stack_file=path)
    every.update(plans)
    for name, shipyard in test_lifecycle.VARIANTS.items():
        if "nomad" in shipyard:
            every[f"lifecycle {name}"] = run_shipyard(shipyard)
            every[f"lifecycle {name} (production)"] = run_shipyard({**shipyard,
                                                                    "production": True})
    every["portability"] = test_portability.moved_to("nomad")
    return {name: plan for name, plan in every.items() if plan.of_type(JOB)}


def spec_of(job: Resource) -> dict[str, Any]:
    return json.loads(job.inputs["jobspec"])


def jobs(plan: Plan) -> dict[str, dict[str, Any]]:
    return {spec_of(j)["ID"]: spec_of(j) for j in plan.of_type(JOB)}


def group(spec: dict[str, Any]) -> dict[str, Any]:
    [only] = spec["TaskGroups"]
    return only


def task(spec: dict[str, Any]) -> dict[str, Any]:
    [only] = group(spec)["Tasks"]
    return only


# --- every jobspec against Nomad's own types and checks

def test_every_jobspec_in_every_plan_has_only_nomads_keys_and_types(every_plan_with_nomad):
    every = every_plan_with_nomad
    assert {"two-service-app.nomad", *STACKS, "lifecycle nomad-with-secrets",
            "portability"} <= set(every)
    checked = {f"{name}: {spec_of(j)['ID']}": field_problems(spec_of(j))
               for name, plan in every.items() for j in plan.of_type(JOB)}
    assert len(checked) >= 12
    assert {job: problems for job, problems in checked.items() if problems} == {}


def test_every_jobspec_in_every_plan_passes_nomads_registration_checks(every_plan_with_nomad):
    every = every_plan_with_nomad
    checked = {f"{name}: {spec_of(j)['ID']}": job_problems(spec_of(j))
               for name, plan in every.items() for j in plan.of_type(JOB)}
    assert {job: problems for job, problems in checked.items() if problems} == {}


def _durations(value: Any, kind: str, path: str = "Job"):
    """(path, value) of every duration in a jobspec, by the field table."""
    if value is None:
        return
    if kind == "duration":
        yield path, value
    elif kind.startswith("[]"):
        for index, item in enumerate(value):
            yield from _durations(item, kind[2:], f"{path}[{index}]")
    elif kind in FIELDS:
        for key, item in value.items():
            yield from _durations(item, FIELDS[kind].get(key, "any"), f"{path}.{key}")


def test_durations_are_integer_nanoseconds(plans):
    spec = jobs(plans["shop"])["web"]
    durations = dict(_durations(spec, "Job"))
    assert durations["Job.TaskGroups[0].Update.MinHealthyTime"] == 10 * 10**9
    assert durations["Job.TaskGroups[0].Update.HealthyDeadline"] == 300 * 10**9
    assert durations["Job.TaskGroups[0].Services[0].Checks[0].Interval"] == 10 * 10**9
    assert len(durations) == 11  # update 3, reschedule 2, restart 2, check 3, template splay
    assert all(type(value) is int and value >= 0 for value in durations.values())


@pytest.mark.parametrize("path, wrong, message", [
    (("TaskGroups", 0, "Tasks", 0, "Resources"), ("MemoryMB", "Memory"),
     "Job.TaskGroups[0].Tasks[0].Resources.Memory: not a field of Nomad's api.Resources "
     "(dropped silently)"),
    (("TaskGroups", 0, "Tasks", 0, "Resources"), ("MemoryMB", "memorymb"),
     "Job.TaskGroups[0].Tasks[0].Resources.memorymb: not a field of Nomad's api.Resources "
     "(dropped silently); it is spelled 'MemoryMB'"),
    (("TaskGroups", 0), ("Count", "Replicas"),
     "Job.TaskGroups[0].Replicas: not a field of Nomad's api.TaskGroup (dropped silently)"),
    (("TaskGroups", 0, "Services", 0, "Checks", 0), ("Path", "HttpPath"),
     "Job.TaskGroups[0].Services[0].Checks[0].HttpPath: not a field of Nomad's "
     "api.ServiceCheck (dropped silently)"),
    (("TaskGroups", 0, "Tasks", 0, "Config"), ("readonly_rootfs", "read_only_rootfs"),
     "Job.TaskGroups[0].Tasks[0].Config.read_only_rootfs: not a docker driver config key"),
    (("TaskGroups", 0, "Tasks", 0, "Config", "mount", 0), ("target", "destination"),
     "Job.TaskGroups[0].Tasks[0].Config.mount[0].destination: not a docker driver config key"),
])
def test_a_misspelled_key_fails_with_its_path(plans, path, wrong, message):
    spec = copy.deepcopy(jobs(plans["shop"])["web"])
    holder = spec
    for part in path:
        holder = holder[part]
    right, misspelled = wrong
    holder[misspelled] = holder.pop(right)
    assert field_problems(spec) == [message]


@pytest.mark.parametrize("path, value, message", [
    (("TaskGroups", 0, "Update", "MinHealthyTime"), "10s",
     "Job.TaskGroups[0].Update.MinHealthyTime: must be an integer of nanoseconds, not '10s'"),
    (("TaskGroups", 0, "Tasks", 0, "Resources", "CPU"), 600.5,
     "Job.TaskGroups[0].Tasks[0].Resources.CPU: must be an integer, not 600.5"),
    (("TaskGroups", 0, "Count"), True,
     "Job.TaskGroups[0].Count: must be an integer, not True"),
    (("Datacenters",), "dc1",
     "Job.Datacenters: must be a list ([]string), not 'dc1'"),
    (("TaskGroups", 0, "Tasks", 0, "Config", "cap_drop"), "ALL",
     "Job.TaskGroups[0].Tasks[0].Config.cap_drop: must be a list ([]string), not 'ALL'"),
])
def test_a_value_of_the_wrong_type_fails_with_its_path(plans, path, value, message):
    spec = copy.deepcopy(jobs(plans["shop"])["web"])
    holder = spec
    for part in path[:-1]:
        holder = holder[part]
    holder[path[-1]] = value
    assert field_problems(spec) == [message]


def test_the_field_table_is_nomads_job_api():
    """Spot checks of the table against api/*.go at the cited commit."""
    assert FIELDS["Resources"]["MemoryMB"] == "int" and "Memory" not in FIELDS["Resources"]
    assert FIELDS["TaskGroup"]["Scaling"] == "ScalingPolicy"
    assert FIELDS["ScalingPolicy"]["Policy"] == "map[string]any"
    assert FIELDS["UpdateStrategy"]["MinHealthyTime"] == "duration"
    assert FIELDS["Task"]["Templates"] == "[]Template"
    assert FIELDS["Template"]["Envvars"] == "bool" and FIELDS["Template"]["Splay"] == "duration"
    assert FIELDS["Service"]["Provider"] == "string"
    assert FIELDS["NetworkResource"]["DynamicPorts"] == "[]Port"
    assert "ExtraKeysHCL" not in FIELDS["VolumeRequest"]     # `json:"-"`, api/tasks.go
    assert DOCKER_CONFIG["readonly_rootfs"] == "bool" and DOCKER_CONFIG["cap_drop"] == "[]string"
    referenced = {kind.lstrip("[]").split("]")[-1] for fields in FIELDS.values()
                  for kind in fields.values()}
    scalars = {"string", "int", "float", "bool", "duration", "bytes", "any", "time"}
    assert referenced - scalars - set(FIELDS) == set()  # every struct named has its row


# --- Nomad's registration checks, on jobs that break them

def _broken(plans, change) -> list[str]:
    spec = copy.deepcopy(jobs(plans["shop"])["api"])
    change(group(spec))
    return job_problems(spec)


def test_count_must_lie_within_the_scaling_bounds(plans):
    assert _broken(plans, lambda g: g.update(Count=10)) == [
        "group api: count 10 is greater than the scaling max 9"]
    assert _broken(plans, lambda g: g.update(Count=1)) == [
        "group api: count 1 is less than the scaling min 3"]


def test_native_discovery_runs_http_and_tcp_checks_only(plans):
    def grpc(g):
        g["Services"][0]["Checks"][0]["Type"] = "grpc"
    assert _broken(plans, grpc) == [
        "group api: service api: a grpc check, but native (nomad) discovery runs http and tcp only"]

    def tcp(g):
        g["Services"][0]["Checks"][0]["Type"] = "tcp"
    assert _broken(plans, tcp) == []


def test_a_group_uses_one_discovery_provider(plans):
    def second(g):
        g["Services"].append({**g["Services"][0], "Name": "api-admin", "Provider": "consul"})
    assert _broken(plans, second) == [
        "group api: services use consul and nomad: one discovery provider per group"]


# --- what each recorded job holds

def test_a_service_is_a_service_job_in_the_configured_namespace(plans):
    spec = jobs(plans["shop"])["api"]
    assert (spec["Type"], spec["Namespace"], spec["Region"], spec["Datacenters"]) == (
        "service", "shop", "eu", ["dc1", "dc2"])
    assert group(spec)["Name"] == task(spec)["Name"] == "api"


def test_count_is_the_replicas_and_the_scaling_block_bounds_it(plans):
    fixed = jobs(plans["consul-fixed-count"])
    assert group(fixed["api"])["Count"] == 3 and "Scaling" not in group(fixed["api"])
    scaled = group(jobs(plans["shop"])["api"])
    assert scaled["Count"] == 3
    assert {k: scaled["Scaling"][k] for k in ("Min", "Max", "Enabled")} == {
        "Min": 3, "Max": 9, "Enabled": True}                       # 3x by default
    bounded = group(jobs(plans["bounded-autoscaling"])["api"])
    assert (bounded["Count"], bounded["Scaling"]["Min"], bounded["Scaling"]["Max"]) == (2, 2, 5)


def test_the_autoscaler_policy_targets_cpu_and_memory_as_configured(plans):
    policy = group(jobs(plans["shop"])["api"])["Scaling"]["Policy"]
    assert policy["check"] == [
        {"cpu": [{"source": "nomad-apm", "query": "avg_cpu-allocated",
                  "strategy": [{"target-value": [{"target": 70}]}]}]},
        {"memory": [{"source": "nomad-apm", "query": "avg_memory-allocated",
                     "strategy": [{"target-value": [{"target": 80}]}]}]}]
    cpu_only = group(jobs(plans["bounded-autoscaling"])["api"])["Scaling"]["Policy"]
    assert [next(iter(check)) for check in cpu_only["check"]] == ["cpu"]


def test_pulumi_up_keeps_the_autoscalers_count_and_waits_for_the_deployment(plans):
    for name, plan in plans.items():
        autoscaled = STACKS[name]["nomad"].get("autoscaling", {}).get("enabled", True)
        for job in plan.of_type(JOB):
            assert job.inputs["json"] is True
            # hashicorp/nomad#9839; without autoscaling `replicas` is the count to apply.
            assert job.inputs["preserveCounts"] is autoscaled
            assert job.inputs["detach"] is False           # the provider's default is true
            assert job.inputs["purgeOnDestroy"] is False
            assert job.inputs["rerunIfDead"] is True        # `nomad job stop` is undone by up
    assert {j.inputs["preserveCounts"] for j in plans["consul-fixed-count"].of_type(JOB)} == {
        False}


def test_resources_are_mhz_from_the_configured_clock_and_mib(plans):
    api = task(jobs(plans["shop"])["api"])["Resources"]
    assert api == {"CPU": 1200, "MemoryMB": 1024}                # 0.5 vCPU x 2400 MHz
    web = task(jobs(plans["shop"])["web"])["Resources"]
    assert web == {"CPU": 600, "MemoryMB": 512}                  # the defaults: 0.25 vCPU, 512 MiB
    odd = Service.model_validate({"name": "x", "image": "x:1", "cpu": 0.3})
    assert builder.nomad_cpu(odd, Nomad(cpuMhzPerVcpu=2333)) == math.ceil(0.3 * 2333) == 700
    small = Service.model_validate({"name": "x", "image": "x:1", "cpu": 0.07})
    assert builder.nomad_cpu(small, Nomad(cpuMhzPerVcpu=1100)) == 77    # not float's 78


def test_private_services_get_a_dynamic_port_public_ones_their_port_statically(plans):
    shop = jobs(plans["shop"])
    assert group(shop["api"])["Networks"] == [
        {"Mode": "host", "DynamicPorts": [{"Label": "http", "To": 8080}]}]
    assert group(shop["web"])["Networks"] == [
        {"Mode": "host", "ReservedPorts": [{"Label": "http", "To": 3000, "Value": 3000}]}]
    assert task(shop["web"])["Config"]["ports"] == ["http"]


def test_the_service_is_registered_with_an_http_check_on_its_health_path(plans):
    for name, path, provider in (("shop", "/healthz", "nomad"),
                                 ("consul-fixed-count", "/healthz", "consul")):
        [service] = group(jobs(plans[name])["api"])["Services"]
        assert (service["Name"], service["PortLabel"], service["Provider"]) == (
            "api", "http", provider)
        [check] = service["Checks"]
        assert (check["Type"], check["Path"], check["PortLabel"]) == ("http", path, "http")
        assert check["CheckRestart"] == {"Limit": 3, "Grace": 30 * 10**9}


def test_public_tags_go_to_public_services_only():
    plan = engine.run("nomad", stack_file=EXAMPLE)
    shop = jobs(plan)
    assert group(shop["web"])["Services"][0]["Tags"] == [
        "traefik.enable=true", "traefik.http.routers.web.rule=Host(`web.example.com`)"]
    assert group(shop["api"])["Services"][0]["Tags"] == []


def test_updates_wait_for_health_and_revert_by_themselves(plans):
    update = group(jobs(plans["shop"])["api"])["Update"]
    assert update == {"MaxParallel": 1, "HealthCheck": "checks", "MinHealthyTime": 10 * 10**9,
                      "HealthyDeadline": 300 * 10**9, "ProgressDeadline": 600 * 10**9,
                      "AutoRevert": True, "Canary": 0}


def test_failed_tasks_restart_then_reschedule_without_limit(plans):
    spec = jobs(plans["shop"])["api"]
    assert task(spec)["RestartPolicy"] == {"Attempts": 2, "Interval": 1800 * 10**9,
                                           "Delay": 15 * 10**9, "Mode": "fail"}
    assert group(spec)["ReschedulePolicy"] == {
        "Delay": 30 * 10**9, "DelayFunction": "exponential", "MaxDelay": 3600 * 10**9,
        "Unlimited": True}


def test_tasks_are_hardened(plans):
    for plan in plans.values():
        for spec in jobs(plan).values():
            docker = task(spec)
            assert docker["Driver"] == "docker"
            assert docker["User"] == "10001:10001"       # never root
            config = docker["Config"]
            assert config["readonly_rootfs"] is True and config["privileged"] is False
            assert config["cap_drop"] == ["ALL"] and "cap_add" not in config
            assert config["security_opt"] == ["no-new-privileges"]
            # A tmpfs is charged to the task's memory: 64 MiB, as on Swarm, well under MemoryMB.
            assert config["mount"] == [{"type": "tmpfs", "target": "/tmp", "readonly": False,
                                        "tmpfs_options": {"size": 64 * 1024 * 1024}}]
            assert 64 * 4 <= docker["Resources"]["MemoryMB"]


def test_built_images_run_by_digest_on_clients_of_their_architecture(plans):
    plan = plans["built-on-arm-and-x86"]
    spec = jobs(plan)["api"]
    assert "@sha256:" in task(spec)["Config"]["image"]
    # An existing cluster's clients may be of any architecture; the build covers amd64, so the
    # job is kept to amd64 clients.
    assert spec["Constraints"] == [{"LTarget": "${attr.cpu.arch}", "Operand": "set_contains_any",
                                    "RTarget": "amd64"}]
    # An image Shipyard does not build counts as amd64: also kept to amd64 clients.
    assert jobs(plans["shop"])["api"]["Constraints"] == spec["Constraints"]


def test_plain_env_is_the_tasks_env(plans):
    assert task(jobs(plans["shop"])["api"])["Env"] == {"MODE": "prod"}
    # API_URL names a callee: it comes from the calls template instead.
    assert task(jobs(plans["shop"])["web"])["Env"] == {"OTHER": "api:80801",
                                                     "TITLE": "{{ not a template }}"}


# --- secrets: in the Variable (Pulumi secrets), rendered by a nomadVar template

def test_secrets_are_only_in_the_jobs_variable_as_pulumi_secrets(plans):
    plan = plans["shop"]
    [variable] = plan.of_type(VARIABLE)
    assert variable.inputs["path"] == "nomad/jobs/api"       # the job's implicit path
    assert variable.inputs["namespace"] == "shop"            # the job's namespace
    items = variable.inputs["items"]
    assert isinstance(items, Secret) and set(items.value) == {"DB_PASSWORD", "KEY"}
    password = secret_document(SECRET, ["password"])["password"]
    assert items.value["DB_PASSWORD"] == password
    for job in plan.of_type(JOB):
        assert password not in job.inputs["jobspec"]
    assert variable.urn in plan.one(JOB, "nomad-api").depends_on  # the Variable exists first


def test_secrets_reach_the_task_as_env_vars_through_a_nomadvar_template(plans):
    [template] = [t for t in task(jobs(plans["shop"])["api"])["Templates"]
                  if "nomadVar" in t["EmbeddedTmpl"]]
    assert template["EmbeddedTmpl"] == (
        '{{ with nomadVar "nomad/jobs/api" }}\n'
        'DB_PASSWORD={{ printf "%s" .DB_PASSWORD | toJSON }}\n'
        'KEY={{ printf "%s" .KEY | toJSON }}\n'
        '{{ end }}\n')
    assert template["Envvars"] is True
    # Not `restart`: `pulumi up` writes the Variable and rolls the job; a restart on the
    # re-render would restart every allocation at once.
    assert template["ChangeMode"] == "noop"
    assert template["DestPath"].startswith("secrets/")        # the task's private directory
    assert "MODE" not in template["EmbeddedTmpl"]


def test_a_rotated_secret_rolls_the_job_out_allocation_by_allocation(plans, rotate_secrets):
    """The job's meta carries the secrets' versions (never their values): a new version (a
    rotation, same ARN) changes it, a destructive update that the update block rolls out."""
    meta = jobs(plans["shop"])["api"]["Meta"]
    assert re.fullmatch(r"[0-9a-f]{16}", meta[builder.SECRET_VERSIONS_META])
    rotate_secrets("rotated-version")
    after = jobs(run_shipyard(STACKS["shop"]))["api"]["Meta"]
    assert after[builder.SECRET_VERSIONS_META] == secret_versions_digest(
        {"DB_PASSWORD": f"{SECRET}:password::@rotated-version", "KEY": f"{PARAMETER}@1"}) \
        != meta[builder.SECRET_VERSIONS_META]
    assert "shipyard-secret-versions" not in jobs(plans["shop"])["web"]["Meta"]


def test_another_secret_at_the_same_version_rolls_the_job_too(plans):
    """Review: a new SSM parameter starts at version 1 as the old one did; the reference is in
    the digest, so pointing KEY at it still rolls the allocations."""
    moved = {**API, "secrets": {**API["secrets"], "KEY": PARAMETER + "-new"}}
    after = jobs(run_shipyard({**STACKS["shop"], "services": [moved, WEB]}))["api"]["Meta"]
    assert after[builder.SECRET_VERSIONS_META] != jobs(plans["shop"])["api"]["Meta"][
        builder.SECRET_VERSIONS_META]


def test_a_service_without_secrets_has_no_variable(plans):
    assert [v.inputs["path"] for v in plans["shop"].of_type(VARIABLE)] == ["nomad/jobs/api"]


# --- calls: the callee's address from the catalog, in the env var the app already reads

def test_a_caller_gets_its_callees_address_in_the_same_env_var(plans):
    [template] = [t for t in task(jobs(plans["shop"])["web"])["Templates"]]
    assert template["EmbeddedTmpl"] == (
        'API_URL="{{ "http://" }}'
        '{{ range $i, $s := nomadService 1 (env "NOMAD_ALLOC_ID") "api" }}'
        '{{ if eq $i 0 }}{{ $s.Address }}:{{ $s.Port }}{{ end }}{{ end }}'
        '{{ "/v1" }}"\n')
    assert (template["Envvars"], template["ChangeMode"]) == (True, "restart")
    assert template["Splay"] == 5 * 10**9                    # callers restart spread out


def test_on_consul_a_caller_reads_consuls_catalog(plans):
    [template] = task(jobs(plans["consul-fixed-count"])["web"])["Templates"]
    assert '{{ range $i, $s := service "api" }}' in template["EmbeddedTmpl"]


def test_only_a_callee_at_its_own_port_is_rewritten_and_literals_stay_literal():
    api = Service.model_validate({"name": "api", "image": "x:1", "port": 8080})
    web = Service.model_validate({"name": "web", "image": "x:1", "env": {
        "A": "http://api:8080", "B": "http://api:80801", "C": "http://myapi:8080",
        "D": 'say "{{hi}}" to api:8080 and api:8080'}})
    lines = builder.calls_template(web, [api], "nomad").splitlines()
    assert [line.split("=", 1)[0] for line in lines] == ["A", "D"]
    assert lines[1].startswith('D="{{ "say \\\\\\"{{hi}}\\\\\\" to " }}{{ range')
    assert lines[1].count("nomadService") == 2
    assert builder.calls_template(web, [], "nomad") is None


# --- the provider

def test_the_provider_takes_the_address_and_keeps_token_and_key_secret(plans):
    provider = plans["consul-fixed-count"].one(PROVIDER)
    assert provider.inputs["address"] == "https://nomad.example.internal:4646"
    assert provider.inputs["region"] == "eu"
    assert isinstance(provider.inputs["secretId"], Secret)
    assert isinstance(provider.inputs["keyPem"], Secret)
    assert provider.inputs["caPem"] == CA_PEM and provider.inputs["certPem"] == CLIENT_PEM


def test_a_caller_is_deployed_once_its_callees_deployments_succeed(plans):
    """So the caller's template finds its callees at its first render."""
    plan = plans["shop"]
    api, web = plan.one(JOB, "nomad-api"), plan.one(JOB, "nomad-web")
    assert api.urn in web.depends_on
    assert web.urn not in api.depends_on


def test_an_example_plan_makes_no_aws_resource():
    plan = engine.run("nomad", stack_file=EXAMPLE)
    assert [r.type for r in plan.resources if r.custom and r.type.startswith("aws:")] == []
    assert sorted(spec_of(j)["ID"] for j in plan.of_type(JOB)) == ["api", "web"]


def test_the_field_table_cites_the_embedded_nomad_version():
    text = Path(builder.__file__).with_name("api_fields.py").read_text()
    assert "b0f552dbe97118b235b166aa6f753b0edb48039b" in text
    assert "pulumi/pulumi-nomad v2.6.1" in text


# --- the other views: picture, cost, controls

def test_the_picture_shows_the_cluster_its_jobs_the_static_port_and_the_call():
    plan = engine.run("nomad", stack_file=EXAMPLE)
    picture = traffic.of_plan(plan)
    [cluster] = picture.groups
    assert (cluster.kind, cluster.label) == (
        "nomad", "existing Nomad cluster https://nomad.example.com:4646  (namespace "
        "two-service-app)")
    web, api = (plan.one(JOB, f"nomad-{n}").urn for n in ("web", "api"))
    assert picture.node(web).label == "web\n:3000 · 2 allocations"
    assert {(f.source, f.target, f.kind, f.label) for f in picture.flows} == {
        (traffic.INTERNET, web, "ingress", "static port :3000 on each client"),
        (web, api, "call", "http://<address>:<port> from the catalog")}


def test_nomad_jobs_cost_nothing_on_aws_and_the_estimate_says_so():
    estimate = cost.estimate(engine.run("nomad", stack_file=EXAMPLE))
    assert [(line.item, line.quantity, line.monthly, line.note) for line in estimate.lines] == [
        ("Nomad job api", "2 x (600 MHz, 512 MiB)", 0, NO_AWS_COST),
        ("Nomad job web", "2 x (600 MHz, 512 MiB)", 0, NO_AWS_COST)]
    assert estimate.total == 0 and estimate.complete


def test_check_holds_every_nomad_job_to_the_hardening_control(plans):
    [control] = [c for c in controls.CONTROLS if c.id == "NOMAD.hardened"]
    for plan in plans.values():
        findings = control.evaluate([Checked(r.urn, r.type, r.name, r.inputs)
                                     for r in plan.of_type(JOB)])
        assert findings and all(f.passed for f in findings)


def test_a_nomad_plan_imports_no_kubernetes_sdk():
    """Only an enabled platform's deploy module, and so its provider SDK, is imported."""
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from shipyard.review import engine
        engine.run("nomad", stack_file=Path({str(EXAMPLE)!r}))
        print(sorted({{m.split('.')[0] for m in sys.modules if m.startswith('pulumi_')}}))
    """)
    loaded = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, check=True,
                            capture_output=True, text=True).stdout.strip()
    assert loaded == "['pulumi_aws', 'pulumi_docker_build', 'pulumi_nomad']"


def test_plan_says_pulumi_up_must_reach_the_nomad_api(capsys):
    assert main(["plan", "nomad", "--stack-file", str(EXAMPLE)]) == 0
    assert ("it deploys Nomad jobs through the Nomad cluster's HTTP API (shipyard:nomad.address, "
            "https://nomad.example.com:4646), reachable by") in capsys.readouterr().out


def test_pulumi_up_waits_as_long_as_a_rollout_may_take(plans):
    """The provider's own 5 minutes are less than one healthy deadline; each allocation may take
    a whole progress deadline (rescheduled after its healthy deadline, then healthy)."""
    for name, count in (("shop", 9), ("consul-fixed-count", 3), ("bounded-autoscaling", 5)):
        job = plans[name].one(JOB, "nomad-api")
        minutes = count * 10 + 5          # a progress deadline per allocation, and the start
        assert job.custom_timeouts == {"create": f"{minutes}m", "update": f"{minutes}m"}, name


def test_a_job_nomad_would_refuse_is_a_config_error_naming_the_service(monkeypatch):
    """The rule runs Nomad's registration checks on the very job Shipyard would register."""
    config = {"nomad": {"enabled": True, "cpuMhzPerVcpu": 2400},
              "services": [{"name": "api", "image": "nginx:1.27"}]}
    assert list(nomad_rules.nomad_registration(parse(config))) == []
    seen = []
    monkeypatch.setattr(nomad_rules, "job_problems",
                        lambda job: seen.append(job) or ["group api: count 7 is greater than "
                                                         "the scaling max 6"])
    with pytest.raises(ConfigError) as error:
        parse(config)
    assert error.value.problems == ["shipyard:services[0]: Nomad would refuse its job: group api: "
                                    "count 7 is greater than the scaling max 6"]
    assert group(seen[0])["Count"] == 2 and task(seen[0])["Name"] == "api"


def test_native_discovery_checks_take_no_consul_only_options(plans):
    def driver_address(g):
        g["Services"][0]["Checks"][0]["AddressMode"] = "driver"
    assert _broken(plans, driver_address) == [
        "group api: service api: address_mode driver and expose are Consul-only"]


def test_only_a_new_job_id_or_namespace_replaces_a_job():
    """`diff` reads the jobspec's JSON by path; the lifecycle row names the keys that force a
    new job (terraform-provider-nomad resourceJobCustomizeDiff)."""
    assert lifecycle.replacing_inputs(JOB, ["jobspec.Namespace", "jobspec.TaskGroups[0].Count",
                                            "jobspec.TaskGroups[0].Tasks[0].Config.image"]) == {
        "jobspec.Namespace"}
    assert lifecycle.replacing_inputs(JOB, ["jobspec.ID"]) == {"jobspec.ID"}
    assert lifecycle.replacing_inputs(VARIABLE, ["items.TOKEN", "path"]) == {"path"}


def test_the_hardening_control_gives_no_verdict_on_a_jobspec_not_known_yet():
    [control] = [c for c in controls.CONTROLS if c.id == "NOMAD.hardened"]
    unknown = Checked("urn:pulumi:test::shipyard::nomad:index/job:Job::api", JOB, "api",
                      {"jobspec": None})
    assert control.evaluate([unknown]) == ()


# --- review of the Nomad platform (nomad v1.11.3, terraform-provider-nomad v2.6.1)

def _notes(shipyard: dict[str, Any]) -> list[str]:
    """The plan's notes for a stack, parsed as written (its `secure:` credentials left out:
    only the engine stands in their values)."""
    nomad = {key: value for key, value in shipyard.get("nomad", {}).items()
             if key not in ("token", "certPem", "keyPem")}
    return platform_notes(parse({**shipyard, "nomad": nomad}, region="us-east-1"))


def test_a_nomad_stack_refreshes_its_state_before_preview_and_up():
    """Review defect 1: a scale by the Autoscaler (or `nomad job scale`, or an auto-revert)
    moves the job's modify index, and the provider's plan of a changed jobspec then stops with
    "job modify index has changed since last refresh": CI passes --refresh for Nomad stacks."""
    assert PLATFORMS["nomad"].refresh_before_up is True
    example = engine.stack_settings("nomad", PROJECT, EXAMPLE)
    assert ci.refresh_first(example) is True
    assert ci.refresh_first(parse({"nomad": {**NOMAD, "enabled": False}})) is False


def test_plan_says_a_preserved_count_ignores_changed_replicas_and_bounds():
    """Review defect 2: with preserve_counts Nomad sets each existing group's count back to the
    running one, so a changed `replicas` or bound never moves it; the plan says so."""
    [note] = [n for n in _notes(STACKS["shop"]) if "preserve_counts" in n]
    assert "not the count of api, web" in note and "Nomad Autoscaler" in note
    assert not [n for n in _notes(STACKS["consul-fixed-count"]) if "preserve_counts" in n]


def test_a_public_job_is_deleted_before_its_replacement_and_the_plan_counts_its_clients(plans):
    """Review defect 3: a public job holds its static port on each client, so its replacement
    (a new namespace) could not be placed beside it; and each allocation needs a client."""
    for name, plan in plans.items():
        for job in plan.of_type(JOB):
            static = [port for group in spec_of(job)["TaskGroups"]
                      for network in group["Networks"] for port in network.get("ReservedPorts", [])]
            assert job.delete_before_replace is bool(static), (name, job.name)
            assert lifecycle.violations(job, production=True) == [], (name, job.name)
    web = plans["shop"].one(JOB, "nomad-web")
    assert web.delete_before_replace is True
    [created_first] = lifecycle.violations(dataclasses.replace(web, delete_before_replace=False),
                                           production=True)
    assert "ReservedPorts stay when it is replaced" in created_first
    private = dataclasses.replace(plans["shop"].one(JOB, "nomad-api"), delete_before_replace=False)
    assert lifecycle.violations(private, production=True) == []
    [shop] = [n for n in _notes(STACKS["shop"]) if n.startswith("web is public")]
    assert "static port 3000" in shop and "up to 6 allocations (replicas 2, scaling max 6)" in shop
    assert "need 6 clients" in shop and "datacenters dc1, dc2" in shop
    [fixed] = [n for n in _notes(STACKS["consul-fixed-count"]) if n.startswith("web is public")]
    assert "up to 2 allocations (replicas 2) need 2 clients" in fixed


def test_without_an_address_the_plan_says_pulumi_up_needs_nomad_addr():
    """Review defect 4: the provider has no default address (provider.go: "address must be
    provided either in provider configuration or via NOMAD_ADDR")."""
    unset = {**STACKS["shop"], "nomad": {k: v for k, v in NOMAD.items() if k != "address"}}
    assert [n for n in _notes(unset) if "NOMAD_ADDR" in n and "fails without it" in n]
    assert not [n for n in _notes(STACKS["shop"]) if "NOMAD_ADDR" in n]
    assert "127.0.0.1" not in Nomad.model_fields["address"].description


def test_a_jobspec_is_no_pulumi_secret_though_its_secrets_are_read_beside_it(plans):
    """Review defect 7: the provider answers the secret's value as a secret, and the SDK marks
    the invoke's whole result (its version too) secret; the jobspec, which carries only the
    versions' digest, stays readable in `pulumi preview --diff`."""
    job = plans["shop"].one(JOB, "nomad-api")
    assert isinstance(job.inputs["jobspec"], str)
    assert builder.SECRET_VERSIONS_META in spec_of(job)["Meta"]


def test_plan_says_a_callees_deployment_restarts_its_callers():
    """Review defect 8: the calls template restarts a caller when its picked instance goes."""
    [note] = [n for n in _notes(STACKS["shop"]) if n.startswith("web gets api's address")]
    assert "restarts each web allocation" in note and "within 5 s, with no health gate" in note


def test_only_secret_values_are_pulumi_secrets_where_secrets_are_read_at_deploy():
    """Review defect 7, on every user of shipyard/services/secret_values.py read_secret: the
    versions a Swarm secret's name, a Deployment's annotations and a jobspec carry are no
    secrets, so their diffs stay readable; the values stay secrets."""
    from tests import test_kubernetes, test_swarm
    swarm = run_shipyard({"swarm": test_swarm.SWARM, "services": [test_swarm.API]})
    kubernetes = test_kubernetes.existing_cluster(test_kubernetes.API)
    nomad = run_shipyard(STACKS["shop"])
    secret_inputs = {(r.type, key) for plan in (swarm, kubernetes, nomad) for r in plan.resources
                     for key, value in r.inputs.items() if isinstance(value, Secret)}
    assert secret_inputs == {("docker:index/secret:Secret", "data"),
                             ("kubernetes:core/v1:Secret", "stringData"),
                             ("pulumi:providers:kubernetes", "kubeconfig"),
                             (VARIABLE, "items")}


def test_secrets_a_variable_cannot_hold_are_refused_by_name_not_value():
    """Review: Nomad refuses a Variable over 64 KiB of names and values."""
    assert builder.variable_size_problem({"KEY": "x" * (65536 - 3)}) is None
    problem = builder.variable_size_problem({"KEY": "s3cr3t" + "x" * 65536})
    assert problem.startswith("its secrets come to 65545 bytes") and "s3cr3t" not in problem
