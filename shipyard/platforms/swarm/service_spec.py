"""One cloud-neutral service as the inputs of pulumi-docker's `docker.Service`, `docker.Secret`
and `docker.Network`: pure functions, so each default is tested without Pulumi.

Input names and defaults are pulumi-docker 5.2's (pulumi_docker/_inputs.py); how they become the
Engine API's ServiceSpec is terraform-provider-docker v4.5
internal/provider/resource_docker_service_structures.go (`createServiceSpec`). Swarm's own limits
are swarmkit's manager/controlapi/common.go: service and network names are DNS labels of at most
63 characters (`validateAnnotations`), secret names at most 64 of [a-zA-Z0-9-_.]
(`validateConfigOrSecretAnnotations`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping, Optional, Sequence

from shipyard.config.schema import Service
from shipyard.platforms.swarm.spec import Swarm
from shipyard.services.containers import TMPFS_SCRATCH_MIB

NANO_CPUS_PER_VCPU = 1_000_000_000   # Resources.Limits.NanoCPUs: CPU in units of 1e-9
BYTES_PER_MIB = 1_048_576
SERVICE_NAME_MAX = 63
SECRET_NAME_MAX = 64
SECRETS_DIR = "/run/secrets"        # where Swarm mounts a service's secrets (files, tmpfs)
SECRET_FILE_MODE = 0o400            # readable by the service's own user only
# A read-only root filesystem still leaves the process a scratch directory, memory-backed.
SCRATCH_DIR = "/tmp"
SCRATCH_BYTES = TMPFS_SCRATCH_MIB * BYTES_PER_MIB
# Permission bits only: the provider reads the mode back as `Mode.Perm()`
# (resource_docker_service_structures.go, flattenServiceMounts), so a sticky bit (0o1777) would
# show a change on every preview. The tasks' processes all run as one user anyway.
SCRATCH_MODE = 0o777
# Docker's HEALTHCHECK settings, as the Kubernetes probes of the same service (k8s_manifests.py):
# every 10 s, 5 s to answer, unhealthy after 3 failures, 15 s to start. A task whose check has
# not passed is not `running`, so an update waits for it and a failing one is rolled back.
HEALTH_FORMS = ("CMD", "CMD-SHELL")   # Docker's HealthConfig.Test forms that run a check
MIN_NANO_CPUS = 1_000_000             # pulumi-docker: NanoCPUs "should be at least 1000000"
HEALTH_CHECK = {"interval": "10s", "timeout": "5s", "retries": 3, "start_period": "15s"}
# One task at a time, the new one started (and healthy) before the old one stops (but see
# _order); a task that fails within `monitor` of starting fails the update, which Swarm then
# rolls back by itself.
UPDATE = {"parallelism": 1, "order": "start-first", "failure_action": "rollback",
          "monitor": "30s", "max_failure_ratio": "0.0", "delay": "0s"}
ROLLBACK = {"parallelism": 1, "order": "start-first", "failure_action": "pause",
            "monitor": "30s", "max_failure_ratio": "0.0", "delay": "0s"}
STOP_GRACE_PERIOD = "30s"            # as Kubernetes' terminationGracePeriodSeconds
# `pulumi up` waits until every task runs, and on an update until Swarm's update has completed
# (pulumi-docker's converge_config; terraform-provider-docker v4.5.0
# resource_docker_service_funcs.go, resourceDockerServiceUpdateRefreshFunc reads UpdateStatus).
# Tasks roll one at a time, each within its health check's start period and retries, watched
# for `monitor`, the old one given its stop grace period: that per task, after a fixed allowance
# for the image pull, and never less than the provider's example 5 minutes. A service created
# without converging is deleted again by the provider (kreuzwerker/terraform-provider-docker#624:
# docs/swarm.md).
CONVERGE_DELAY = "7s"
CONVERGE_PULL_SECONDS = 120
CONVERGE_PER_TASK_SECONDS = 15 + 10 * 3 + 30 + 30   # start_period, interval x retries, monitor, grace
CONVERGE_MIN_SECONDS = 300
LABEL_STACK, LABEL_SERVICE = "shipyard.stack", "shipyard.service"
LABEL_CALLEE, LABEL_ENV, LABEL_PORT = "shipyard.callee", "shipyard.env", "shipyard.port"


def _digest(*parts: Any, length: int) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:length]


def service_name(prefix: str, service: Service) -> str:
    """The Swarm service's name, which is also its DNS name: prefixed by the stack's
    `<project>-<stack>`, so two stacks (or two projects) can share one Swarm."""
    return f"{prefix}-{service.name}"


def service_name_problem(prefix: str, service: Service) -> Optional[str]:
    name = service_name(prefix, service)
    if len(name) <= SERVICE_NAME_MAX:
        return None
    return (f"on Docker Swarm the service is named '{name}' ({len(name)} characters: the stack's "
            f"'{prefix}-' and its name), but Swarm service names are DNS labels of at most "
            f"{SERVICE_NAME_MAX}: shorten it to {SERVICE_NAME_MAX - len(prefix) - 1} characters "
            "or fewer")


def labels(prefix: str, service_name: str, **more: str) -> list[dict[str, str]]:
    """Docker labels (pulumi-docker's list of {label, value}) saying which stack owns what."""
    values = {LABEL_STACK: prefix, LABEL_SERVICE: service_name, **more}
    return [{"label": key, "value": value} for key, value in sorted(values.items())]


def network_inputs(prefix: str, callee: str) -> dict[str, Any]:
    """The overlay network of one called service: it and its callers attach, nobody else, so
    a service not in the callee's callers cannot even resolve its name. Not attachable: only
    Swarm services join it, never a `docker run` container. The name carries a digest of every
    other input, which all force a replacement (resource_docker_network.go: ForceNew), so a
    replacement never takes the name of the network it replaces."""
    inputs = {"driver": "overlay", "attachable": False, "internal": False,
              "labels": [{"label": LABEL_STACK, "value": prefix},
                         {"label": LABEL_CALLEE, "value": callee}]}
    base = f"{prefix}-{callee}"[:SERVICE_NAME_MAX - 9]
    return {"name": f"{base}-{_digest(inputs, length=8)}", **inputs}


SECRET_DIGEST_LENGTH = 12
SECRET_PREFIX_MAX = SECRET_NAME_MAX - SECRET_DIGEST_LENGTH - 1   # 51 characters of the service's


def secret_name(swarm_service: str, key: str, reference: str, version: str) -> str:
    """A Docker secret's name: the service's, and a digest of the env var, the reference and the
    value's version (Secrets Manager version id, SSM parameter version). A rotation is a new
    version, so a new name: the replacement (every Secret input forces one,
    resource_docker_secret.go) never collides with the secret it replaces, and the service,
    whose secret reference changes, rolls its tasks. The value itself is never hashed into a
    name that `docker secret ls` shows.

    A service name longer than SECRET_PREFIX_MAX is cut, so two such services sharing their
    first 51 characters would name one secret alike, which Swarm refuses (swarmkit
    manager/controlapi/secret.go, CreateSecret: "already exists"): then the digest covers the
    whole service name too. A name that fits is itself in full, which already keeps the secrets
    of two services apart, and keeps the form it had (no secret renamed, no service rolled)."""
    cut = swarm_service[:SECRET_PREFIX_MAX]
    whole = (swarm_service,) if cut != swarm_service else ()
    suffix = _digest(*whole, key, reference, version, length=SECRET_DIGEST_LENGTH)
    return f"{cut}-{suffix}"


def secret_file(key: str) -> str:
    return f"{SECRETS_DIR}/{key}"


def file_env_name(key: str) -> str:
    """The env var that tells an app where a secret's file is (the `<NAME>_FILE` convention of
    the official postgres, mysql and other images)."""
    return f"{key}_FILE"


def environment(service: Service) -> dict[str, str]:
    """Plain env vars, and for each secret the path of its file: never the value."""
    return {**service.env, **{file_env_name(key): secret_file(key) for key in service.secrets}}


def health_check(service: Service) -> dict[str, Any]:
    """Swarm runs health checks inside the container only (no HTTP probe): the service's own
    command, else a request to its health path with the image's wget."""
    if service.health_command and service.health_command[0] in HEALTH_FORMS:
        tests = list(service.health_command)            # ["CMD-SHELL", "..."] as Docker takes it
    elif service.health_command:
        tests = ["CMD", *service.health_command]
    else:
        tests = ["CMD", "wget", "-q", "--spider",
                 f"http://127.0.0.1:{service.port}{service.health_check_path}"]
    return {"tests": tests, **HEALTH_CHECK}


def resources(service: Service) -> dict[str, Any]:
    """Limits and reservations alike: the scheduler places a task only where its whole size fits,
    as Fargate and the Kubernetes requests (= limits) of the same service do."""
    size = {"nano_cpus": round(service.cpu * NANO_CPUS_PER_VCPU),
            "memory_bytes": service.memory * BYTES_PER_MIB}
    return {"limits": dict(size), "reservation": dict(size)}


def holds_host_ports(service: Service, swarm: Swarm) -> bool:
    """A public service in `host` publish mode holds its port on each node that runs a task."""
    return service.public and swarm.publish_mode == "host"


def _order(service: Service, swarm: Swarm) -> str:
    """Start the new task first, except where it needs the port the old one holds: a task
    waiting for a host port stays pending, with no failure to roll back and no timeout (swarmkit
    manager/scheduler/filter.go HostPortFilter; manager/orchestrator/update/updater.go waits for
    the new task), so the update would hang until converge gives up."""
    return "stop-first" if holds_host_ports(service, swarm) else "start-first"


def update_config(service: Service, swarm: Swarm) -> dict[str, Any]:
    return {**UPDATE, "order": _order(service, swarm)}


def rollback_config(service: Service, swarm: Swarm) -> dict[str, Any]:
    return {**ROLLBACK, "order": _order(service, swarm)}


def converge_seconds(service: Service) -> int:
    """How long `pulumi up` waits for the service to converge (CONVERGE_* say why)."""
    seconds = CONVERGE_PULL_SECONDS + service.replicas * CONVERGE_PER_TASK_SECONDS
    return max(seconds, CONVERGE_MIN_SECONDS)


def converge_config(service: Service) -> dict[str, Any]:
    return {"delay": CONVERGE_DELAY, "timeout": f"{converge_seconds(service)}s"}


def operation_timeout(service: Service) -> str:
    """The resource's create and update timeout: the converge wait and a minute to spare. The
    provider declares none, so the plugin SDK's default of 20 minutes would cut a longer wait
    short, and a failed create's clean-up delete would run on the expired context and leave the
    service behind (terraform-provider-docker v4.5.0 resource_docker_service_funcs.go,
    resourceDockerServiceCreate)."""
    return f"{converge_seconds(service) + 60}s"


def endpoint_spec(service: Service, swarm: Swarm) -> dict[str, Any]:
    """The name's resolution mode; a published port only for a public service (on its own
    port number, in the configured publish mode)."""
    spec: dict[str, Any] = {"mode": swarm.endpoint_mode}
    if service.public:
        spec["ports"] = [{"target_port": service.port, "published_port": service.port,
                          "publish_mode": swarm.publish_mode, "protocol": "tcp"}]
    return spec


def container_spec(service: Service, swarm: Swarm, image: Any,
                   secrets: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """`secrets`: {secret_id, secret_name, file_name} of each Docker secret the service reads."""
    return {
        "image": image,
        "env": environment(service),
        "user": swarm.user,
        "read_only": True,
        "cap_drops": ["ALL"],
        "healthcheck": health_check(service),
        "mounts": [{"type": "tmpfs", "target": SCRATCH_DIR,
                    "tmpfs_options": {"size_bytes": SCRATCH_BYTES, "mode": SCRATCH_MODE}}],
        "stop_grace_period": STOP_GRACE_PERIOD,
        **({"secrets": [{**secret, "file_uid": swarm.uid, "file_gid": swarm.gid,
                         "file_mode": SECRET_FILE_MODE} for secret in secrets]} if secrets else {}),
    }


def task_spec(service: Service, swarm: Swarm, image: Any,
              secrets: Sequence[Mapping[str, Any]] = (), network_ids: Sequence[Any] = (),
              aliases: Mapping[int, Sequence[str]] = ()) -> dict[str, Any]:
    """`network_ids`: the overlay networks the service attaches to; `aliases`: by index into
    them, the extra DNS names it answers to there (its plain name on its own callee network)."""
    aliases = dict(aliases)
    return {
        "container_spec": container_spec(service, swarm, image, secrets),
        "resources": resources(service),
        # By id: a name here would show a change on every preview (pulumi-docker's docstring: "Using the name
        # attribute of the docker network will lead to constant replacements").
        "networks_advanceds": [{"id": network, **({"aliases": list(aliases[index])}
                                                     if index in aliases else {})}
                               for index, network in enumerate(network_ids)],
    }
