"""tests/swarm_apply.py: recorded pulumi-docker inputs -> the Engine API bodies upstream sends.

Expected values are read off terraform-provider-docker v4.5.0
`internal/provider/resource_docker_service_structures.go` and the schema defaults of
`resource_docker_service.go` (the version pulumi-docker 5.x bridges).
"""

from __future__ import annotations

import base64
import collections.abc
import typing
from pathlib import Path

import pulumi
import pulumi_docker
import pytest

from shipyard.review import engine
from shipyard.review.engine import Plan, Resource
from shipyard.review.inputs import Secret, reveal
from tests import swarm_apply
from tests.swarm_apply import (
    CARRIED,
    NETWORK,
    SECRET,
    SERVICE,
    Resolver,
    Untranslated,
    check_carried,
    go_duration,
    input_paths,
    planned_id,
    service_spec,
)

NS = 1_000_000_000
LIVE_STACK_FILE = Path(__file__).parent / "swarm" / "Pulumi.swarm-live.yaml"
IMAGE = "registry.example/api@sha256:" + "a" * 64
RESOLVER = Resolver(network_names={"api-net-id": "swarm-live-api"},
                    secret_ids={"token-id": "live-secret-id"}, images={IMAGE: "local/api:1"})


def recorded_service(**overrides) -> dict:
    """A docker.Service's inputs as the offline engine records them (camelCase, MaxItems=1
    blocks as objects)."""
    inputs = {
        "name": "api",
        "taskSpec": {
            "containerSpec": {
                "image": IMAGE, "env": {"B": "2", "A": "1"}, "user": "10001:10001",
                "readOnly": True, "capDrops": ["ALL"],
                "healthcheck": {"tests": ["CMD", "wget", "-q", "--spider",
                                          "http://127.0.0.1:8080/health"],
                                "interval": "2s", "timeout": "1s", "retries": 3,
                                "startPeriod": "1m30s"},
                "secrets": [{"secretId": "token-id", "secretName": "token-v1",
                             "fileName": "/run/secrets/token"}],
            },
            "resources": {"limits": {"nanoCpus": 250_000_000, "memoryBytes": 268_435_456},
                          "reservation": {"nanoCpus": 125_000_000, "memoryBytes": 134_217_728}},
            "networksAdvanceds": [{"id": "api-net-id", "aliases": ["api"]}],
        },
        "mode": {"replicated": {"replicas": 2}},
        "updateConfig": {"parallelism": 1, "failureAction": "rollback", "monitor": "10s",
                         "order": "start-first"},
        "rollbackConfig": {"order": "start-first"},
        "endpointSpec": {"mode": "dnsrr", "ports": [{"targetPort": 8080, "publishedPort": 18080,
                                                     "publishMode": "host"}]},
        "convergeConfig": {"timeout": "2m"},
    }
    inputs.update(overrides)
    return inputs


def resource(type_: str, name: str, inputs: dict) -> Resource:
    return Resource(urn=f"urn:pulumi:swarm-live::shipyard::{type_}::{name}", type=type_,
                    name=name, parent=None, custom=True, inputs=inputs)


@pytest.mark.parametrize("text, nanoseconds", [
    ("0", 0), ("0s", 0), ("5s", 5 * NS), ("1m30s", 90 * NS), ("500ms", NS // 2),
    ("1.5h", 5400 * NS), ("2us", 2000), ("-1s", -NS), ("3m", 180 * NS)])
def test_durations_are_read_as_go_parses_them(text, nanoseconds):
    assert go_duration(text) == nanoseconds


@pytest.mark.parametrize("text", ["", "5", "1d", "s", "1m 30s", "1.2.3s"])
def test_what_go_would_not_parse_is_refused(text):
    with pytest.raises(ValueError, match="not a Go duration"):
        go_duration(text)


def test_the_container_spec_carries_every_planned_setting():
    container = service_spec(recorded_service(), RESOLVER)["TaskTemplate"]["ContainerSpec"]
    assert container == {
        "Image": "local/api:1", "Env": ["A=1", "B=2"], "User": "10001:10001", "ReadOnly": True,
        "CapabilityDrop": ["ALL"], "Isolation": "default",
        "Healthcheck": {"Test": ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:8080/health"],
                        "Interval": 2 * NS, "Timeout": NS, "Retries": 3, "StartPeriod": 90 * NS},
        # file_uid / file_gid "0" and file_mode 0o444 are the schema's defaults.
        "Secrets": [{"SecretID": "live-secret-id", "SecretName": "token-v1",
                     "File": {"Name": "/run/secrets/token", "UID": "0", "GID": "0",
                              "Mode": 0o444}}],
        # Pointers createContainerSpec always sets: an unset stop_grace_period parses as 0.
        "StopGracePeriod": 0, "DNSConfig": {}, "Init": False,
    }


def test_resources_networks_mode_and_endpoint_are_the_plans():
    spec = service_spec(recorded_service(), RESOLVER)
    task = spec["TaskTemplate"]
    assert task["Resources"] == {"Limits": {"NanoCPUs": 250_000_000, "MemoryBytes": 268_435_456},
                                 "Reservations": {"NanoCPUs": 125_000_000,
                                                  "MemoryBytes": 134_217_728}}
    assert task["Networks"] == [{"Target": "swarm-live-api", "Aliases": ["api"]}]
    assert task["RestartPolicy"] == {} and task["Placement"] == {} and task["ForceUpdate"] == 0
    assert spec["Name"] == "api"
    assert spec["Mode"] == {"Replicated": {"Replicas": 2}}
    assert spec["EndpointSpec"] == {"Mode": "dnsrr", "Ports": [
        {"Protocol": "tcp", "TargetPort": 8080, "PublishedPort": 18080, "PublishMode": "host"}]}


def test_update_and_rollback_configs_take_the_schemas_defaults_for_unset_keys():
    spec = service_spec(recorded_service(), RESOLVER)
    assert spec["UpdateConfig"] == {"Parallelism": 1, "Delay": 0, "FailureAction": "rollback",
                                    "Monitor": 10 * NS, "MaxFailureRatio": 0.0,
                                    "Order": "start-first"}
    assert spec["RollbackConfig"] == {"Parallelism": 1, "Delay": 0, "FailureAction": "pause",
                                      "Monitor": 5 * NS, "MaxFailureRatio": 0.0,
                                      "Order": "start-first"}
    assert "UpdateConfig" not in service_spec(
        {k: v for k, v in recorded_service().items() if k != "updateConfig"}, RESOLVER)


def test_unset_blocks_become_what_upstream_sends_for_them():
    spec = service_spec({"name": "bare", "taskSpec": {"containerSpec": {"image": IMAGE}}},
                        RESOLVER)
    assert spec == {"Name": "bare", "Mode": {}, "EndpointSpec": {}, "TaskTemplate": {
        "ContainerSpec": {"Image": "local/api:1", "Isolation": "default", "StopGracePeriod": 0,
                          "Healthcheck": {}, "DNSConfig": {}, "Init": False},
        "Resources": {}, "RestartPolicy": {}, "Placement": {}, "ForceUpdate": 0}}
    replicated = service_spec({"name": "r", "mode": {"replicated": {}},
                               "taskSpec": {"containerSpec": {"image": IMAGE}}}, RESOLVER)
    assert replicated["Mode"] == {"Replicated": {"Replicas": 1}}  # the schema's default


def test_converge_config_defaults_are_seven_seconds_and_three_minutes():
    assert swarm_apply.converge_timeouts({"convergeConfig": {}}) == (7.0, 180.0)
    assert swarm_apply.converge_timeouts(recorded_service()) == (7.0, 120.0)
    assert swarm_apply.converge_timeouts({"name": "x"}) is None


def test_a_planned_field_the_translation_does_not_carry_fails_naming_its_path():
    planned = recorded_service()
    planned["taskSpec"]["containerSpec"]["privileges"] = {"seLinuxContext": {"disable": True}}
    with pytest.raises(Untranslated, match=r"'api': input 'taskSpec\.containerSpec\."
                                           r"privileges\.seLinuxContext\.disable' is not carried"):
        check_carried(resource(SERVICE, "api", planned))
    with pytest.raises(Untranslated, match="input 'auth.username'"):
        check_carried(resource(SERVICE, "api", recorded_service(auth={"username": "AWS"})))


def test_references_the_plan_cannot_resolve_are_errors():
    with pytest.raises(Untranslated, match="image 'other:1' has no locally built stand-in"):
        service_spec(recorded_service(taskSpec={"containerSpec": {"image": "other:1"}}), RESOLVER)
    unknown_secret = recorded_service()
    unknown_secret["taskSpec"]["containerSpec"]["secrets"][0]["secretId"] = "elsewhere"
    with pytest.raises(Untranslated, match="secretId 'elsewhere' is no docker.Secret"):
        service_spec(unknown_secret, RESOLVER)
    unknown_network = recorded_service()
    unknown_network["taskSpec"]["networksAdvanceds"][0]["id"] = "other-net"
    with pytest.raises(Untranslated, match="network 'other-net' is no docker.Network"):
        service_spec(unknown_network, RESOLVER)


def test_input_paths_walk_lists_of_blocks_and_keep_maps_whole():
    paths = input_paths(recorded_service())
    assert "taskSpec.containerSpec.env" in paths  # a map: its keys are data
    assert "taskSpec.containerSpec.secrets[].secretId" in paths
    assert "taskSpec.containerSpec.capDrops" in paths  # a list of strings is a leaf
    assert not [p for p in paths if p not in CARRIED[SERVICE]]


def test_secret_values_are_read_through_their_pulumi_secret_wrapper():
    data = base64.b64encode(b"s3cret").decode()
    check_carried(resource(SECRET, "token", {"name": "token-v1", "data": Secret(data)}))


def _sdk_input_paths(cls: type, prefix: str = "") -> set[str]:
    """Every input path pulumi-docker's Python SDK can send for the input type `cls`."""
    paths: set[str] = set()
    for pulumi_name, hint in pulumi._types.input_type_types(cls).items():
        path = f"{prefix}{pulumi_name}"
        nested, is_list = _input_type_in(hint)
        if nested is None:
            paths.add(path)
        else:
            paths |= _sdk_input_paths(nested, f"{path}[]." if is_list else f"{path}.")
    return paths


def _input_type_in(hint, in_list: bool = False):
    """The input type class inside an annotation (Optional/Input/Union/Sequence), and whether
    it sits in a list."""
    if isinstance(hint, type) and pulumi._types.is_input_type(hint):
        return hint, in_list
    origin = typing.get_origin(hint)
    for arg in typing.get_args(hint):
        found = _input_type_in(arg, in_list or origin in (list, collections.abc.Sequence))
        if found[0] is not None:
            return found
    return None, False


@pytest.mark.parametrize("type_, args", [(SERVICE, pulumi_docker.ServiceArgs),
                                         (SECRET, pulumi_docker.SecretArgs),
                                         (NETWORK, pulumi_docker.NetworkArgs)])
def test_every_carried_path_is_an_input_of_the_pulumi_docker_sdk(type_, args):
    assert not CARRIED[type_] - _sdk_input_paths(args)


@pytest.fixture(scope="module")
def live_plan() -> Plan:
    return engine.run("swarm-live", stack_file=LIVE_STACK_FILE)


def test_every_input_of_the_live_stacks_plan_is_carried(live_plan):
    planned = [r for r in live_plan.resources if r.type in CARRIED]
    assert sorted({r.type for r in planned}) == sorted(CARRIED)
    for resource in planned:
        check_carried(resource)


def test_the_ids_services_reference_are_the_ones_the_offline_mocks_gave_networks_and_secrets(
        live_plan):
    ids = {planned_id(live_plan, r) for r in live_plan.resources if r.type in (NETWORK, SECRET)}
    referenced = set()
    for service in live_plan.of_type(SERVICE):
        task = reveal(service.inputs)["taskSpec"]
        referenced |= {n["id"] for n in task.get("networksAdvanceds", [])}
        referenced |= {s["secretId"] for s in task["containerSpec"].get("secrets", [])}
    assert referenced and referenced <= ids


@pytest.mark.parametrize("image, tagged", [
    ("api", "api:latest"), ("127.0.0.1:1/shipyard-live/app", "127.0.0.1:1/shipyard-live/app:latest"),
    ("127.0.0.1:1/shipyard-live/app:1", "127.0.0.1:1/shipyard-live/app:1"),
    (IMAGE, IMAGE)])
def test_images_get_the_latest_tag_only_when_they_name_neither_tag_nor_digest(image, tagged):
    assert swarm_apply._with_tag(image) == tagged
