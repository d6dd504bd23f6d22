"""One cloud-neutral service as a Nomad job, in the job API's JSON (PascalCase keys, durations in
integer nanoseconds), built from typed data: `pulumi-nomad` registers it with `json = true`.

Every key written here is checked against Nomad's own structs (api_fields.py, tests/test_nomad.py).
What the task receives:
- plain `env` as the task's Env;
- `secrets`, each from the Nomad Variable at `nomad/jobs/<job>` (which this job may read with no
  ACL policy) through a `nomadVar` template with `env = true`. A rotation (a new version of a
  secret) changes the job's meta, so `pulumi up` rolls it out through the update block, one
  health-checked allocation at a time, rather than restarting every allocation at once;
- calls: each env value naming a callee as `<callee>:<port>` (e.g. `API_URL=http://api:8080`,
  which resolves by DNS on ECS and Kubernetes) is rendered from the catalog instead, with one
  instance's address (`http://10.0.3.7:24512`): the same variable names and URLs, with the
  callee's host address and dynamic port, re-rendered (and the task restarted) when it moves.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any, Optional, Sequence

from shipyard.config.schema import Service
from shipyard.platforms.nomad.spec import Nomad
from shipyard.services.containers import (
    RUN_AS_USER,
    TMPFS_SCRATCH_MIB,
    secret_versions_digest,
)
from shipyard.services.scaling import ReplicaBounds, replica_bounds

SECOND = 1_000_000_000          # time.Duration in JSON: integer nanoseconds
MINUTE = 60 * SECOND
PORT_LABEL = "http"
# The task's user: the unprivileged uid:gid of every platform (Task.User -> docker --user).
TASK_USER = f"{RUN_AS_USER}:{RUN_AS_USER}"
SCRATCH_BYTES = TMPFS_SCRATCH_MIB * 1024 * 1024  # a tmpfs /tmp, as on Swarm
# Where templates render: the task's secrets/ directory is private to it and never on the image.
SECRETS_FILE = "secrets/shipyard.env"
CALLS_FILE = "secrets/calls.env"
# Job meta: the digest of the secrets' versions (never their values). A change of the combined
# task meta is a destructive update (hashicorp/nomad scheduler/util.go, tasksUpdated: "task
# meta"), so a rotation is rolled out as a deployment.
SECRET_VERSIONS_META = "shipyard-secret-versions"
# Nomad's defaults are max_parallel 1, min_healthy_time 10s, healthy_deadline 5m, but
# auto_revert false: Shipyard waits for health and reverts (api/jobs.go, DefaultUpdateStrategy).
UPDATE = {"MaxParallel": 1, "HealthCheck": "checks", "MinHealthyTime": 10 * SECOND,
          "HealthyDeadline": 5 * MINUTE, "ProgressDeadline": 10 * MINUTE, "AutoRevert": True,
          "Canary": 0}
# A failing task restarts twice in place, then the allocation fails and is rescheduled elsewhere,
# with exponential back-off, without limit (a service must come back).
RESTART = {"Attempts": 2, "Interval": 30 * MINUTE, "Delay": 15 * SECOND, "Mode": "fail"}
RESCHEDULE = {"Delay": 30 * SECOND, "DelayFunction": "exponential", "MaxDelay": 60 * MINUTE,
              "Unlimited": True}
CHECK_INTERVAL, CHECK_TIMEOUT = 10 * SECOND, 2 * SECOND
# A check failing 3 times in a row (after a 30 s grace at start) restarts the task.
CHECK_RESTART = {"Limit": 3, "Grace": 30 * SECOND}
# Nomad's template splay: re-rendered callers restart at random within it, not all at once.
CALLS_SPLAY = 5 * SECOND
# How a template looks a callee up: for native discovery nomadService's subset of one instance,
# hashed on the caller's allocation ID (a consistent choice per caller; the form of
# hashicorp/nomad e2e/servicediscovery/input/simple_lb_clients.nomad), healthy or not (native
# checks are not in the catalog: hashicorp/nomad#23317); Consul's `service` lists the passing.
_LOOKUP = {"nomad": 'nomadService 1 (env "NOMAD_ALLOC_ID") {name}', "consul": "service {name}"}


def callees_in(spec: dict[str, Any]) -> list[str]:
    """The services a job's templates look up in the catalog (what calls_template wrote)."""
    lookups = "|".join(re.escape(form).replace(re.escape("{name}"), r'"([a-z0-9-]+)"')
                       for form in _LOOKUP.values())
    found = {name for group in spec.get("TaskGroups") or [] for task in group.get("Tasks") or []
             for template in task.get("Templates") or []
             for match in re.finditer(lookups, template.get("EmbeddedTmpl") or "")
             for name in match.groups() if name}
    return sorted(found)


def nomad_cpu(service: Service, nomad: Nomad) -> int:
    """Nomad's `cpu` in MHz: the service's vCPUs at the configured MHz per vCPU, rounded up."""
    assert nomad.cpu_mhz_per_vcpu is not None, "rules: shipyard:nomad.cpuMhzPerVcpu is required"
    # Decimal: in floats 0.07 x 1100 is 77.00000000000001, which would round up to 78.
    return math.ceil(Decimal(str(service.cpu)) * nomad.cpu_mhz_per_vcpu)


def deployment_minutes(service: Service, nomad: Nomad) -> int:
    """How long `pulumi up` waits for a job's deployment: each allocation of the largest count
    it may have, rolled one at a time (max_parallel 1), within a progress deadline. The deadline
    starts again at each healthy allocation, and an allocation unhealthy at its healthy deadline
    is rescheduled and may still become healthy before it (Nomad's update block docs,
    progress_deadline); plus a healthy deadline for evaluation, placement and the first pull,
    before the first deadline starts, so that Nomad, not the wait, decides a failed rollout.
    terraform-provider-nomad waits 5 minutes by default (resource_job.go, Timeouts), less than
    one healthy deadline: a slow but healthy rollout would fail `pulumi up`."""
    bounds = scaling_bounds(service, nomad)
    count = bounds.max if bounds else service.replicas
    return (count * UPDATE["ProgressDeadline"] + UPDATE["HealthyDeadline"]) // MINUTE


def variable_path(job_id: str) -> str:
    """The Nomad Variable path a job's tasks may read without any ACL policy."""
    return f"nomad/jobs/{job_id}"


# A Variable's items may hold 64 KiB in all, keys and values (hashicorp/nomad b0f552dbe971
# nomad/structs/variables.go: maxVariableSize, VariableItems.Size).
VARIABLE_MAX_BYTES = 65536


def variable_size_problem(items: dict[str, str]) -> Optional[str]:
    """Why Nomad would refuse a Variable of these items (never naming a value), or None."""
    size = sum(len(key.encode()) + len(value.encode()) for key, value in items.items())
    if size <= VARIABLE_MAX_BYTES:
        return None
    return (f"its secrets come to {size} bytes (names and values), but a Nomad Variable holds "
            f"at most {VARIABLE_MAX_BYTES}: keep large material (certificate bundles, files) out "
            "of env secrets")


def holds_static_ports(service: Service) -> bool:
    """A public service's job reserves its `port` on the host network of each client (`job`)."""
    return service.public


def scaling_bounds(service: Service, nomad: Nomad) -> Optional[ReplicaBounds]:
    return replica_bounds(service, nomad.autoscaling) if nomad.autoscaling.enabled else None


def _literal(text: str) -> str:
    """`text` inside the template's JSON-quoted value: escaped for JSON, then printed by a Go
    template string constant (so no `{{` in it is ever a template action)."""
    return "{{ " + json.dumps(json.dumps(text)[1:-1]) + " }}" if text else ""


def calls_template(service: Service, callees: Sequence[Service], provider: str
                   ) -> Optional[str]:
    """An env-file template setting each env var that names a callee as `<name>:<port>` to the
    same value with one callee instance's address instead; None when none does."""
    if not callees:
        return None
    pattern = re.compile(r"(?<![\w.-])(" + "|".join(re.escape(f"{c.name}:{c.port}")
                                                    for c in callees) + r")(?!\d)")
    lines = []
    for key, value in sorted(service.env.items()):
        if not pattern.search(value):
            continue
        rendered, position = "", 0
        for match in pattern.finditer(value):
            lookup = _LOOKUP[provider].format(name=json.dumps(match.group(1).split(":")[0]))
            rendered += (_literal(value[position:match.start()])
                         + f"{{{{ range $i, $s := {lookup} }}}}{{{{ if eq $i 0 }}}}"
                         "{{ $s.Address }}:{{ $s.Port }}{{ end }}{{ end }}")
            position = match.end()
        # go-envparse (Nomad's env-file reader) reads a double-quoted value as a JSON string.
        lines.append(f'{key}="{rendered}{_literal(value[position:])}"')
    return "\n".join(lines) + "\n" if lines else None


def secrets_template(service: Service, job_id: str) -> Optional[str]:
    """An env-file template with each secret from the job's Variable, JSON-quoted as go-envparse
    reads them (hashicorp/go-envparse README: `FOO={{ ... | toJSON }}`)."""
    if not service.secrets:
        return None
    lines = [f"{key}={{{{ printf \"%s\" .{key} | toJSON }}}}" for key in sorted(service.secrets)]
    return (f"{{{{ with nomadVar {json.dumps(variable_path(job_id))} }}}}\n" + "\n".join(lines)
            + "\n{{ end }}\n")


def public_tags(service: Service, nomad: Nomad) -> list[str]:
    """`publicTags` of a public service, `{name}` in each replaced by the service's name (so one
    list gives each service its own ingress router); none for a private service."""
    return [tag.replace("{name}", service.name) for tag in nomad.public_tags] if service.public \
        else []


def _template(body: str, destination: str, change_mode: str, splay: int) -> dict[str, Any]:
    return {"EmbeddedTmpl": body, "DestPath": destination, "Envvars": True,
            "ChangeMode": change_mode, "Splay": splay, "Perms": "0400"}


def autoscaler_policy(nomad: Nomad) -> dict[str, Any]:
    """The Nomad Autoscaler's policy: target-value checks on the group's average CPU (and memory)
    use of what it reserved, as ECS target tracking and HPAs do. The Autoscaler reads this free-form
    map as HCL blocks decode into it, each block a list of one-key maps (hashicorp/nomad-autoscaler
    policy/nomad/parser.go, parseChecks/parseBlocks, at ede4e617)."""
    scaling = nomad.autoscaling
    targets = [("cpu", scaling.target_cpu_percent), ("memory", scaling.target_memory_percent)]
    return {"cooldown": "1m", "evaluation_interval": "30s", "check": [
        {metric: [{"source": "nomad-apm", "query": f"avg_{metric}-allocated",
                   "strategy": [{"target-value": [{"target": target}]}]}]}
        for metric, target in targets if target is not None]}


def job(service: Service, image: str, nomad: Nomad, callees: Sequence[Service] = (),
        architectures: Sequence[str] = (),
        secret_versions: Optional[dict[str, str]] = None) -> dict[str, Any]:
    """The api.Job of `service`: one group of `replicas` docker tasks, kept to clients of
    `architectures` (Nomad's `attr.cpu.arch` is Go's GOARCH: amd64, arm64) unless empty;
    `secret_versions`: env var -> the version of the secret its value was read from."""
    job_id = service.name
    bounds = scaling_bounds(service, nomad)
    port = {"Label": PORT_LABEL, "To": service.port}
    if holds_static_ports(service):  # where an ingress or a client's address reaches it
        network = {"Mode": "host", "ReservedPorts": [{**port, "Value": service.port}]}
    else:
        network = {"Mode": "host", "DynamicPorts": [port]}
    calls = calls_template(service, callees, nomad.discovery)
    rendered = set(service.secrets)
    if calls:
        rendered |= {line.split("=", 1)[0] for line in calls.splitlines()}
    templates = [_template(body, path, change_mode, splay)
                 for body, path, change_mode, splay in (
                     # `pulumi up` writes the Variable and rolls the job (SECRET_VERSIONS_META):
                     # restarting on the re-render would restart every allocation at once.
                     (secrets_template(service, job_id), SECRETS_FILE, "noop", 0),
                     # A callee that moved: the callers that picked it restart, spread out.
                     (calls, CALLS_FILE, "restart", CALLS_SPLAY)) if body]
    task = {
        "Name": service.name, "Driver": "docker", "User": TASK_USER,
        "Config": {
            "image": image, "ports": [PORT_LABEL], "readonly_rootfs": True, "privileged": False,
            "cap_drop": ["ALL"], "security_opt": ["no-new-privileges"],
            "mount": [{"type": "tmpfs", "target": "/tmp", "readonly": False,
                       "tmpfs_options": {"size": SCRATCH_BYTES}}]},
        "Env": {k: v for k, v in sorted(service.env.items()) if k not in rendered},
        "Resources": {"CPU": nomad_cpu(service, nomad), "MemoryMB": service.memory},
        "Templates": templates,
        "RestartPolicy": RESTART,
    }
    group = {
        "Name": service.name,
        "Count": bounds.min if bounds else service.replicas,
        "Networks": [network],
        "Services": [{
            "Name": service.name, "PortLabel": PORT_LABEL, "Provider": nomad.discovery,
            "Tags": public_tags(service, nomad),
            "Checks": [{"Name": f"{service.name}-health", "Type": "http",
                        "Path": service.health_check_path, "PortLabel": PORT_LABEL,
                        "Interval": CHECK_INTERVAL, "Timeout": CHECK_TIMEOUT,
                        "CheckRestart": CHECK_RESTART}]}],
        "Tasks": [task],
        "Update": UPDATE,
        "ReschedulePolicy": RESCHEDULE,
    }
    if bounds:
        group["Scaling"] = {"Min": bounds.min, "Max": bounds.max, "Enabled": True,
                            "Policy": autoscaler_policy(nomad)}
    spec = {"ID": job_id, "Name": job_id, "Type": "service", "Namespace": nomad.namespace,
            "Datacenters": list(nomad.datacenters), "TaskGroups": [group],
            "Meta": {"managed-by": "shipyard"}}
    if secret_versions:
        spec["Meta"][SECRET_VERSIONS_META] = secret_versions_digest(secret_versions)
    if architectures:
        spec["Constraints"] = [{"LTarget": "${attr.cpu.arch}", "Operand": "set_contains_any",
                                "RTarget": ",".join(architectures)}]
    if nomad.region:
        spec["Region"] = nomad.region
    return spec


def jobspec(service: Service, image: str, nomad: Nomad, callees: Sequence[Service] = (),
            architectures: Sequence[str] = (),
            secret_versions: Optional[dict[str, str]] = None) -> str:
    """The job as the JSON text `nomad.Job(jobspec=..., json=True)` takes: stable key order, one
    key a line, so `pulumi preview --diff` shows which lines changed (the provider compares the
    parsed jobs, so the layout itself never shows as a change)."""
    return json.dumps(job(service, image, nomad, callees, architectures, secret_versions),
                      sort_keys=True, indent=2)
