"""The offline plan of tests/swarm/Pulumi.swarm-live.yaml applied to a real one-node Swarm.

The suite starts its own dockerd (tests/swarm_engine.py), builds BusyBox images locally
(tests/swarm_images.py), creates the plan's docker.Network / docker.Secret / docker.Service
inputs through the Engine API as pulumi-docker would (tests/swarm_apply.py), then observes the
running services. Traffic goes only to 127.0.0.1 and into the containers it started.

Nothing here skips: where dockerd cannot run, the engine fixture fails with dockerd's log.
"""

from __future__ import annotations

import base64
import socket
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from shipyard import engine
from shipyard.engine import Plan
from shipyard.inputs import reveal
from tests import swarm_apply, swarm_engine, swarm_images

STACK = "swarm-live"
STACK_FILE = Path(__file__).parent / "swarm" / f"Pulumi.{STACK}.yaml"
IMAGE = "127.0.0.1:1/shipyard-live/app:1"
BROKEN_IMAGE = "127.0.0.1:1/shipyard-live/app:2-broken"
PUBLIC, CALLEE, LONER = "web", "api", "worker"   # web calls api; worker calls nobody
SECRET_KEY = "API_TOKEN"
CONVERGE_TIMEOUT = 90.0
ROLLBACK_TIMEOUT = 180.0


@pytest.fixture(scope="module")
def swarm() -> Iterator[swarm_engine.SwarmEngine]:
    try:
        engine_ = swarm_engine.start()
    except swarm_engine.EngineUnavailable as error:
        pytest.fail(f"the live Swarm tests need a dockerd of their own: {error}", pytrace=False)
    try:
        yield engine_
    finally:
        swarm_engine.stop(engine_)


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        # As a listener binds (docker-proxy is Go: SO_REUSEADDR): the last run's TIME_WAIT
        # connections don't hold the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Live:
    plan: Plan
    port: int
    applied: swarm_apply.Applied
    client: Any

    def service(self, name: str) -> Any:
        return self.applied.services[f"swarm-{name}"]

    def inputs(self, name: str) -> dict:
        return reveal(self.plan.one(swarm_apply.SERVICE, f"swarm-{name}").inputs)

    def container(self, name: str) -> Any:
        """A running container of the service `name`."""
        swarm_name = self.service(name).name
        return swarm_engine.wait_for(f"a running container of {swarm_name}", lambda: next(iter(
            self.client.containers.list(filters={
                "label": f"com.docker.swarm.service.name={swarm_name}"})), None), 30)

    def run(self, name: str, *command: str) -> tuple[int, str]:
        """`command` inside a container of `name`, as the service's own user."""
        exit_code, output = self.container(name).exec_run(list(command))
        return exit_code, output.decode(errors="replace")


@pytest.fixture(scope="module")
def live(swarm, tmp_path_factory) -> Live:
    # The stack's port is published on 127.0.0.1: use another free one if something holds it.
    config = yaml.safe_load(STACK_FILE.read_text())
    port = config["config"]["shipyard:services"][0]["port"]
    if not _port_is_free(port):
        port = swarm_engine.free_port()
        for service in config["config"]["shipyard:services"]:
            service["port"] = port
    stack_file = tmp_path_factory.mktemp("stack") / STACK_FILE.name
    stack_file.write_text(yaml.safe_dump(config, sort_keys=False))
    plan = engine.run(STACK, stack_file=stack_file)

    health_paths = sorted({s["healthCheckPath"] for s in config["config"]["shipyard:services"]})
    swarm_images.build(swarm.client, IMAGE, "v1", health_paths, port)
    swarm_images.build(swarm.client, BROKEN_IMAGE, "v2", [], port)  # health path missing
    applied = swarm_apply.apply(plan, swarm.client, images={IMAGE: IMAGE})
    return Live(plan, port, applied, swarm.client)


def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def running_tasks(service: Any) -> list[dict]:
    return [t for t in service.tasks({"desired-state": "running"})
            if t["Status"]["State"] == "running"]


def test_the_engine_is_a_swarm_manager_of_its_own(swarm):
    info = swarm.client.info()
    assert info["Swarm"]["LocalNodeState"] == "active"
    assert info["Swarm"]["ControlAvailable"] is True
    assert info["Driver"] == "vfs"
    assert info["DockerRootDir"].startswith(f"{swarm.root}/")


def test_the_plan_is_applied_whole_and_every_service_converges_to_its_replicas(live):
    planned = live.plan.of_type(swarm_apply.SERVICE)
    assert sorted(live.applied.services) == sorted(r.name for r in planned) == [
        "swarm-api", "swarm-web", "swarm-worker"]
    assert len(live.applied.secrets) == 1 and len(live.applied.networks) == 1
    for resource in planned:
        service = live.applied.services[resource.name]
        replicas = reveal(resource.inputs)["mode"]["replicated"]["replicas"]
        assert service.name == resource.inputs["name"]  # the name Pulumi would not have chosen
        assert len(running_tasks(service)) == replicas, service.name


def test_limits_and_reservations_are_the_plans_down_to_each_container(live):
    for name in (PUBLIC, CALLEE, LONER):
        planned = live.inputs(name)["taskSpec"]["resources"]
        service = live.service(name)
        service.reload()
        resources = service.attrs["Spec"]["TaskTemplate"]["Resources"]
        assert resources == {
            "Limits": {"NanoCPUs": planned["limits"]["nanoCpus"],
                       "MemoryBytes": planned["limits"]["memoryBytes"]},
            "Reservations": {"NanoCPUs": planned["reservation"]["nanoCpus"],
                             "MemoryBytes": planned["reservation"]["memoryBytes"]}}
        host_config = live.container(name).attrs["HostConfig"]
        assert host_config["NanoCpus"] == planned["limits"]["nanoCpus"]
        assert host_config["Memory"] == planned["limits"]["memoryBytes"]


def test_every_task_passes_the_plans_health_check(live):
    for name in (PUBLIC, CALLEE, LONER):
        test = live.inputs(name)["taskSpec"]["containerSpec"]["healthcheck"]["tests"]
        for container in live.client.containers.list(filters={
                "label": f"com.docker.swarm.service.name={live.service(name).name}"}):
            container.reload()
            assert container.attrs["Config"]["Healthcheck"]["Test"] == test
            health = container.attrs["State"]["Health"]
            assert health["Status"] == "healthy", (name, health["Log"][-1:])


def test_the_caller_reaches_its_callee_by_name_over_their_network(live):
    assert live.run(PUBLIC, "wget", "-q", "-O-", f"http://{CALLEE}:{live.port}/") == (
        0, "shipyard-live v1\n")
    # The same path from outside: 127.0.0.1 -> web's published port -> api, by name.
    assert http_get(f"http://127.0.0.1:{live.port}/cgi-bin/fetch?{CALLEE}:{live.port}/") == (
        200, "shipyard-live v1\n")


def test_a_service_not_in_calls_cannot_even_resolve_the_callee(live):
    callee_names = (CALLEE, live.service(CALLEE).name, f"tasks.{live.service(CALLEE).name}")
    for host in callee_names:
        exit_code, output = live.run(LONER, "nslookup", "-timeout=1", "-retry=1", host)
        assert exit_code != 0 and "Address" not in output.split("Non-authoritative")[-1], output
    # ...while the caller resolves it to the callee's task addresses (dnsrr: no VIP).
    exit_code, output = live.run(PUBLIC, "nslookup", CALLEE)
    assert exit_code == 0
    task_addresses = {a["Addresses"][0].split("/")[0] for t in running_tasks(live.service(CALLEE))
                      for a in t["NetworksAttachments"]}
    assert {line.split()[-1] for line in output.splitlines() if line.startswith("Address:")
            and ":53" not in line} == task_addresses
    assert live.run(LONER, "timeout", "15", "wget", "-q", "-O-",
                    f"http://{CALLEE}:{live.port}/")[0] != 0


def test_the_secret_is_a_file_under_run_secrets_and_in_no_env_var(live):
    secret = reveal(live.plan.one(swarm_apply.SECRET).inputs)
    value = base64.b64decode(secret["data"]).decode()
    file_name = live.inputs(CALLEE)["taskSpec"]["containerSpec"]["secrets"][0]["fileName"]
    assert file_name == SECRET_KEY
    assert live.run(CALLEE, "cat", f"/run/secrets/{file_name}") == (0, value)
    exit_code, environment = live.run(CALLEE, "env")
    assert exit_code == 0 and value not in environment
    assert f"{SECRET_KEY}_FILE=/run/secrets/{SECRET_KEY}" in environment.splitlines()
    assert not [e for e in live.container(CALLEE).attrs["Config"]["Env"] if value in e]
    # Readable by the service's user only (the plan's uid and mode 0400).
    exit_code, listing = live.run(CALLEE, "ls", "-ln", f"/run/secrets/{file_name}")
    assert listing.split()[:4] == ["-r--------", "1", "10001", "10001"], listing


def test_the_root_filesystem_is_read_only_and_only_tmp_is_writable(live):
    for name in (PUBLIC, CALLEE, LONER):
        exit_code, output = live.run(name, "touch", "/probe")
        assert exit_code != 0 and "Read-only file system" in output, output
        assert live.run(name, "touch", "/tmp/probe")[0] == 0  # the plan's tmpfs


def test_the_processes_are_not_root_and_hold_no_capabilities(live):
    for name in (PUBLIC, CALLEE, LONER):
        assert live.run(name, "id", "-u") == (0, "10001\n")
        exit_code, status = live.run(name, "cat", "/proc/1/status")
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        assert fields["Uid"].split()[0] == "10001"  # the server itself, not just the exec
        assert int(fields["CapEff"], 16) == 0 and int(fields["CapPrm"], 16) == 0


def test_only_the_public_service_publishes_a_port_and_it_answers_on_localhost(live):
    for name in (CALLEE, LONER):
        service = live.service(name)
        service.reload()
        assert not service.attrs["Endpoint"].get("Ports")
        assert not service.attrs["Spec"]["EndpointSpec"].get("Ports")
        # The image's EXPOSE lists the port; nothing binds it on the host.
        assert set(live.container(name).attrs["NetworkSettings"]["Ports"].values()) <= {None}
    web = live.service(PUBLIC)
    web.reload()
    assert web.attrs["Spec"]["EndpointSpec"]["Ports"] == [{
        "Protocol": "tcp", "TargetPort": live.port, "PublishedPort": live.port,
        "PublishMode": "host"}]
    assert http_get(f"http://127.0.0.1:{live.port}/") == (200, "shipyard-live v1\n")


class Poller(threading.Thread):
    """GETs `url` back to back until stopped, keeping every outcome."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.outcomes, self.stopped = url, [], threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.outcomes.append(http_get(self.url, timeout=10))
            except OSError as error:
                self.outcomes.append((0, repr(error)))


def test_an_update_to_a_failing_image_rolls_back_by_itself_while_the_old_tasks_serve(live):
    """Last in the module: it changes the callee. The broken image serves pages but fails its
    health check (its health path is missing)."""
    api = live.service(CALLEE)
    old_tasks = {t["ID"] for t in running_tasks(api)}
    broken_inputs = live.inputs(CALLEE)
    broken_inputs["taskSpec"]["containerSpec"]["image"] = BROKEN_IMAGE
    resolver = swarm_apply.Resolver(
        network_names={}, images={BROKEN_IMAGE: BROKEN_IMAGE},
        secret_ids={s["secretId"]: live.applied.secrets["swarm-api-API_TOKEN"].id
                    for s in broken_inputs["taskSpec"]["containerSpec"]["secrets"]})
    spec = swarm_apply.service_spec(broken_inputs, resolver)
    spec["TaskTemplate"]["Networks"] = live.applied.specs["swarm-api"]["TaskTemplate"]["Networks"]

    poller = Poller(f"http://127.0.0.1:{live.port}/cgi-bin/fetch?{CALLEE}:{live.port}/")
    poller.start()
    broken_states: set[str] = set()
    try:
        swarm_apply.update_service(api, spec)

        def rolled_back():
            api.reload()
            for task in api.tasks():
                image = task["Spec"]["ContainerSpec"]["Image"]
                if image.startswith(BROKEN_IMAGE):
                    broken_states.add(task["Status"]["State"])
            state = api.attrs.get("UpdateStatus", {}).get("State")
            return state if state in ("rollback_completed", "rollback_paused", "paused") else None

        final = swarm_engine.wait_for("the update to roll back", rolled_back, ROLLBACK_TIMEOUT,
                                      interval=0.2)
    finally:
        poller.stopped.set()
        poller.join()
    assert final == "rollback_completed", api.attrs["UpdateStatus"]
    assert broken_states and "running" not in broken_states, broken_states
    assert api.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] == IMAGE
    assert {t["ID"] for t in running_tasks(api)} == old_tasks  # never stopped (start-first)
    failed = [o for o in poller.outcomes if o != (200, "shipyard-live v1\n")]
    assert len(poller.outcomes) > 20 and not failed, (len(poller.outcomes), failed[:5])
