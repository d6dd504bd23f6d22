"""A plan's pulumi-docker resources applied to a real Swarm, the way pulumi-docker applies them.

pulumi-docker 5.x bridges terraform-provider-docker v4.5.0 (github:pulumi/pulumi-docker
`upstream` submodule at kreuzwerker/terraform-provider-docker 5074970, tag v4.5.0). What it sends
the Docker Engine is built in that repository's `internal/provider/`:
- `resource_docker_service_structures.go` `createServiceSpec` (the ServiceSpec), with the schema
  defaults of `resource_docker_service.go`, and `resource_docker_service_funcs.go`
  `resourceDockerServiceCreate` (create, then wait for `converge_config`);
- `resource_docker_secret.go` `resourceDockerSecretCreate` (name, labels, base64-decoded data);
- `resource_docker_network_funcs.go` `resourceDockerNetworkCreate`.

The recorded inputs are Pulumi's (camelCase; MaxItems=1 blocks are objects, not lists). Inside a
block Terraform hands `createServiceSpec` every key of the block's schema, unset ones at their
default or zero value, and the Go code sets pointers from them: so an absent `stopGracePeriod`
becomes StopGracePeriod 0 (tasks are killed at once on stop), an absent `healthcheck` an empty
HealthConfig (the image's own HEALTHCHECK applies), an absent `restartPolicy` an empty policy.
This module builds the same JSON body. A planned field it does not carry is an error naming its
path (:data:`CARRIED` lists the ones it does), so a plan can't quietly test less than it says.
"""

from __future__ import annotations

import base64
import copy
import re
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

import docker
import docker.errors
import pulumi

from shipyard.review.engine import Plan, Resource
from shipyard.review.inputs import reveal
from shipyard.review.mocks import ShipyardMocks

SERVICE = "docker:index/service:Service"
SECRET = "docker:index/secret:Secret"
NETWORK = "docker:index/network:Network"

# Every input path carried to the Engine ("[]": each element of a list; maps are leaves).
CARRIED: dict[str, frozenset[str]] = {
    SERVICE: frozenset({
        "name", "labels[].label", "labels[].value",
        "mode.replicated.replicas", "mode.global",
        "taskSpec.containerSpec.image", "taskSpec.containerSpec.labels[].label",
        "taskSpec.containerSpec.labels[].value", "taskSpec.containerSpec.commands",
        "taskSpec.containerSpec.args", "taskSpec.containerSpec.hostname",
        "taskSpec.containerSpec.env", "taskSpec.containerSpec.dir", "taskSpec.containerSpec.user",
        "taskSpec.containerSpec.groups", "taskSpec.containerSpec.readOnly",
        "taskSpec.containerSpec.mounts[].type", "taskSpec.containerSpec.mounts[].target",
        "taskSpec.containerSpec.mounts[].source", "taskSpec.containerSpec.mounts[].readOnly",
        "taskSpec.containerSpec.mounts[].tmpfsOptions.sizeBytes",
        "taskSpec.containerSpec.mounts[].tmpfsOptions.mode",
        "taskSpec.containerSpec.stopSignal", "taskSpec.containerSpec.stopGracePeriod",
        "taskSpec.containerSpec.healthcheck.tests", "taskSpec.containerSpec.healthcheck.interval",
        "taskSpec.containerSpec.healthcheck.timeout",
        "taskSpec.containerSpec.healthcheck.startPeriod",
        "taskSpec.containerSpec.healthcheck.retries",
        "taskSpec.containerSpec.hosts[].host", "taskSpec.containerSpec.hosts[].ip",
        "taskSpec.containerSpec.dnsConfig.nameservers", "taskSpec.containerSpec.dnsConfig.searches",
        "taskSpec.containerSpec.dnsConfig.options",
        "taskSpec.containerSpec.secrets[].secretId", "taskSpec.containerSpec.secrets[].secretName",
        "taskSpec.containerSpec.secrets[].fileName", "taskSpec.containerSpec.secrets[].fileUid",
        "taskSpec.containerSpec.secrets[].fileGid", "taskSpec.containerSpec.secrets[].fileMode",
        "taskSpec.containerSpec.isolation", "taskSpec.containerSpec.sysctl",
        "taskSpec.containerSpec.capAdds", "taskSpec.containerSpec.capDrops",
        "taskSpec.containerSpec.init",
        "taskSpec.resources.limits.nanoCpus", "taskSpec.resources.limits.memoryBytes",
        "taskSpec.resources.reservation.nanoCpus", "taskSpec.resources.reservation.memoryBytes",
        "taskSpec.restartPolicy.condition", "taskSpec.restartPolicy.delay",
        "taskSpec.restartPolicy.maxAttempts", "taskSpec.restartPolicy.window",
        "taskSpec.placement.constraints", "taskSpec.placement.maxReplicas",
        "taskSpec.forceUpdate", "taskSpec.runtime",
        "taskSpec.networksAdvanceds[].id", "taskSpec.networksAdvanceds[].name",
        "taskSpec.networksAdvanceds[].aliases", "taskSpec.networksAdvanceds[].driverOpts",
        "taskSpec.logDriver.name", "taskSpec.logDriver.options",
        *(f"{config}.{key}" for config in ("updateConfig", "rollbackConfig") for key in (
            "parallelism", "delay", "failureAction", "monitor", "maxFailureRatio", "order")),
        "endpointSpec.mode", "endpointSpec.ports[].name", "endpointSpec.ports[].protocol",
        "endpointSpec.ports[].targetPort", "endpointSpec.ports[].publishedPort",
        "endpointSpec.ports[].publishMode",
        "convergeConfig.delay", "convergeConfig.timeout",
    }),
    SECRET: frozenset({"name", "data", "labels[].label", "labels[].value"}),
    NETWORK: frozenset({
        "name", "driver", "options", "internal", "attachable", "ingress", "ipv6", "ipamDriver",
        "ipamOptions", "ipamConfigs[].subnet", "ipamConfigs[].ipRange", "ipamConfigs[].gateway",
        "ipamConfigs[].auxAddress", "labels[].label", "labels[].value"}),
}
# Inputs that are string maps: their keys are data, not field names.
MAPS = frozenset({"taskSpec.containerSpec.env", "taskSpec.containerSpec.sysctl",
                  "taskSpec.logDriver.options", "options", "ipamOptions",
                  "ipamConfigs[].auxAddress"})


class Untranslated(ValueError):
    """A planned input this translation does not carry to the Engine."""


def check_carried(resource: Resource) -> None:
    carried = CARRIED[resource.type]
    for path in input_paths(reveal(resource.inputs)):
        if path not in carried:
            raise Untranslated(f"{resource.type} '{resource.name}': input '{path}' is not "
                               f"carried to the Engine by tests/swarm_apply.py")


def input_paths(value: Any, path: str = "") -> list[str]:
    """The leaf paths of `value`: `a.b`, `a.list[].c`; maps in :data:`MAPS` are leaves."""
    if isinstance(value, dict) and path not in MAPS:
        return [p for key, item in value.items()
                for p in input_paths(item, f"{path}.{key}" if path else key)]
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        # An empty list plans nothing to carry.
        return sorted({p for item in value for p in input_paths(item, f"{path}[]")})
    return [path]


_GO_DURATION_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
                      "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def go_duration(text: str) -> int:
    """Go's time.ParseDuration in nanoseconds ("1m30s", "500ms", "0"). Upstream ignores parse
    errors (the value becomes 0); the provider's schema validation rejects them before that, so
    here they are errors."""
    sign, body = (-1, text[1:]) if text.startswith("-") else (1, text.lstrip("+"))
    if body == "0":
        return 0
    parts = _GO_DURATION_PART.findall(body)
    if not body or "".join(n + u for n, u in parts) != body:
        raise ValueError(f"not a Go duration: {text!r}")
    return sign * round(sum(float(n) * _GO_DURATION_UNITS[u] for n, u in parts))


def _duration_or_zero(text: Optional[str]) -> int:
    """What `time.ParseDuration` leaves in upstream's `parsed, _ :=` for an unset key ("")."""
    return go_duration(text) if text else 0


def _label_map(labels: Optional[list[dict]]) -> dict[str, str]:
    return {item["label"]: item["value"] for item in labels or []}


def _omit_empty(spec: dict[str, Any]) -> dict[str, Any]:
    """Go's `json:",omitempty"` on the Engine API types: zero scalars, empty strings, lists and
    maps are left out (pointer fields are set by the callers only when Go sets them)."""
    return {k: v for k, v in spec.items() if v not in (None, "", 0, False, [], {})}


@dataclass
class Resolver:
    """Planned ids and images -> what the live Swarm knows them as."""

    network_names: Mapping[str, str] = field(default_factory=dict)  # planned id -> name
    secret_ids: Mapping[str, str] = field(default_factory=dict)  # planned id -> live id
    images: Mapping[str, str] = field(default_factory=dict)  # planned image -> local tag

    def image(self, planned: str) -> str:
        if planned not in self.images:
            raise Untranslated(f"image '{planned}' has no locally built stand-in")
        return self.images[planned]


def container_spec(raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
    """upstream `createContainerSpec`, for a Docker API >= 1.37 (so `init` is sent)."""
    healthcheck: dict[str, Any] = {}
    if "healthcheck" in raw:
        check = raw["healthcheck"]
        healthcheck = _omit_empty({
            "Test": check.get("tests"), "Interval": go_duration(check.get("interval", "0s")),
            "Timeout": go_duration(check.get("timeout", "0s")),
            "StartPeriod": go_duration(check.get("startPeriod", "0s")),
            "Retries": check.get("retries", 0)})
    dns = raw.get("dnsConfig", {})
    spec = _omit_empty({
        "Image": resolver.image(raw["image"]),
        "Labels": _label_map(raw.get("labels")),
        "Command": raw.get("commands"), "Args": raw.get("args"),
        "Hostname": raw.get("hostname"),
        # mapTypeMapValsToStringSlice: Go map order; sorted here for a stable spec.
        "Env": [f"{k}={v}" for k, v in sorted(raw.get("env", {}).items()) if k],
        "Dir": raw.get("dir"), "User": raw.get("user"), "Groups": raw.get("groups"),
        "ReadOnly": raw.get("readOnly", False),
        "Mounts": [_mount(m) for m in raw.get("mounts", [])],
        "StopSignal": raw.get("stopSignal"),
        "Hosts": [f"{h['ip']} {h['host']}" for h in raw.get("hosts", [])],
        "Secrets": [_secret_reference(s, resolver) for s in raw.get("secrets", [])],
        "Isolation": raw.get("isolation", "default"),
        "Sysctls": raw.get("sysctl"),
        "CapabilityAdd": raw.get("capAdds"), "CapabilityDrop": raw.get("capDrops"),
    })
    # Pointers upstream always sets, whether or not the plan gives a value.
    spec["StopGracePeriod"] = _duration_or_zero(raw.get("stopGracePeriod"))
    spec["Healthcheck"] = healthcheck
    spec["DNSConfig"] = _omit_empty({"Nameservers": dns.get("nameservers"),
                                     "Search": dns.get("searches"),
                                     "Options": dns.get("options")})
    spec["Init"] = bool(raw.get("init", False))
    return spec


def _mount(raw: Mapping[str, Any]) -> dict[str, Any]:
    mount = _omit_empty({"Type": raw["type"], "Target": raw["target"],
                         "Source": raw.get("source"), "ReadOnly": raw.get("readOnly", False)})
    if "tmpfsOptions" in raw:
        mount["TmpfsOptions"] = _omit_empty({"SizeBytes": raw["tmpfsOptions"].get("sizeBytes"),
                                             "Mode": raw["tmpfsOptions"].get("mode")})
    return mount


def _secret_reference(raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
    planned_id = raw["secretId"]
    if planned_id not in resolver.secret_ids:
        raise Untranslated(f"secretId '{planned_id}' is no docker.Secret of the plan")
    return _omit_empty({
        "SecretID": resolver.secret_ids[planned_id], "SecretName": raw.get("secretName"),
        "File": {"Name": raw["fileName"], "UID": raw.get("fileUid", "0"),
                 "GID": raw.get("fileGid", "0"), "Mode": raw.get("fileMode", 0o444)}})


def _network_attachment(raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
    planned = raw.get("id") or raw.get("name")
    if planned not in resolver.network_names:
        raise Untranslated(f"network '{planned}' is no docker.Network of the plan")
    return _omit_empty({
        "Target": resolver.network_names[planned], "Aliases": raw.get("aliases"),
        "DriverOpts": dict(opt.split("=", 1) for opt in raw.get("driverOpts", []))})


def task_spec(raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
    """upstream `createServiceTaskSpec`."""
    resources: dict[str, Any] = {}
    raw_resources = raw.get("resources", {})
    if raw_resources.get("limits"):
        resources["Limits"] = _omit_empty({
            "NanoCPUs": raw_resources["limits"].get("nanoCpus"),
            "MemoryBytes": raw_resources["limits"].get("memoryBytes")})
    if raw_resources.get("reservation"):
        resources["Reservations"] = _omit_empty({
            "NanoCPUs": raw_resources["reservation"].get("nanoCpus"),
            "MemoryBytes": raw_resources["reservation"].get("memoryBytes")})
    restart: dict[str, Any] = {}
    if "restartPolicy" in raw:
        policy = raw["restartPolicy"]
        restart = {"Delay": _duration_or_zero(policy.get("delay")),
                   "MaxAttempts": policy.get("maxAttempts", 0),
                   "Window": _duration_or_zero(policy.get("window"))}
        if policy.get("condition"):
            restart["Condition"] = policy["condition"]
    placement = raw.get("placement", {})
    spec = _omit_empty({
        "Runtime": raw.get("runtime"),
        "Networks": [_network_attachment(n, resolver) for n in raw.get("networksAdvanceds", [])],
    })
    spec.update({
        "ContainerSpec": container_spec(raw["containerSpec"], resolver),
        "Resources": resources, "RestartPolicy": restart,
        "Placement": _omit_empty({"Constraints": placement.get("constraints"),
                                  "MaxReplicas": placement.get("maxReplicas")}),
        "ForceUpdate": raw.get("forceUpdate", 0),
    })
    if "logDriver" in raw:
        spec["LogDriver"] = _omit_empty({"Name": raw["logDriver"]["name"],
                                         "Options": raw["logDriver"].get("options")})
    return spec


def update_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    """upstream `createUpdateOrRollbackConfig`, with the schema's defaults for unset keys."""
    return {"Parallelism": raw.get("parallelism", 1),
            "Delay": go_duration(raw.get("delay", "0s")),
            "FailureAction": raw.get("failureAction", "pause"),
            "Monitor": go_duration(raw.get("monitor", "5s")),
            "MaxFailureRatio": float(raw.get("maxFailureRatio", "0.0")),
            "Order": raw.get("order", "stop-first")}


def service_spec(inputs: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
    """upstream `createServiceSpec`: the ServiceSpec JSON the Engine receives."""
    mode: dict[str, Any] = {}
    raw_mode = inputs.get("mode", {})
    if "replicated" in raw_mode:
        mode["Replicated"] = {"Replicas": raw_mode["replicated"].get("replicas", 1)}
    if raw_mode.get("global"):
        mode["Global"] = {}
    endpoint = inputs.get("endpointSpec", {})
    spec = _omit_empty({"Name": inputs["name"], "Labels": _label_map(inputs.get("labels"))})
    spec.update({
        "TaskTemplate": task_spec(inputs.get("taskSpec", {}), resolver),
        "Mode": mode,
        "EndpointSpec": _omit_empty({
            "Mode": endpoint.get("mode"),
            "Ports": [_omit_empty({
                "Name": port.get("name"), "Protocol": port.get("protocol", "tcp"),
                "TargetPort": port["targetPort"], "PublishedPort": port.get("publishedPort"),
                "PublishMode": port.get("publishMode", "ingress")})
                for port in endpoint.get("ports", [])]}),
    })
    for key, name in (("updateConfig", "UpdateConfig"), ("rollbackConfig", "RollbackConfig")):
        if key in inputs:
            spec[name] = update_config(inputs[key])
    return spec


def converge_timeouts(inputs: Mapping[str, Any]) -> Optional[tuple[float, float]]:
    """upstream `createConvergeConfig`: (delay, timeout) in seconds, or None (no waiting)."""
    if "convergeConfig" not in inputs:
        return None
    raw = inputs["convergeConfig"]
    return (go_duration(raw.get("delay", "7s")) / 1e9, go_duration(raw.get("timeout", "3m")) / 1e9)


def network_options(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """upstream `resourceDockerNetworkCreate`, as docker-py `networks.create` arguments."""
    ipam = None
    if {"ipamDriver", "ipamConfigs", "ipamOptions"} & set(inputs):
        ipam = docker.types.IPAMConfig(
            driver=inputs.get("ipamDriver", "default"), options=inputs.get("ipamOptions"),
            pool_configs=[docker.types.IPAMPool(
                subnet=c.get("subnet"), iprange=c.get("ipRange"), gateway=c.get("gateway"),
                aux_addresses=c.get("auxAddress")) for c in inputs.get("ipamConfigs", [])])
    return {"driver": inputs.get("driver"), "options": inputs.get("options"),
            "internal": inputs.get("internal", False), "attachable": inputs.get("attachable"),
            "ingress": inputs.get("ingress"), "enable_ipv6": inputs.get("ipv6"),
            "ipam": ipam, "labels": _label_map(inputs.get("labels")) or None}


def planned_id(plan: Plan, resource: Resource) -> str:
    """The id the offline engine's mocks gave `resource` (what other inputs reference it by)."""
    mocks = ShipyardMocks(plan.region, plan.stack, resource.urn.split("::")[1])
    return mocks.new_resource(pulumi.runtime.MockResourceArgs(
        typ=resource.type, name=resource.name, inputs=reveal(resource.inputs), provider="",
        resource_id="", custom=True))[0]


@dataclass
class Applied:
    """What `apply` made on the Swarm: planned resource name -> live object."""

    networks: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, Any] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)
    specs: dict[str, dict[str, Any]] = field(default_factory=dict)  # service name -> spec sent
    resolver: Resolver = field(default_factory=Resolver)  # how the plan's references resolved


def apply(plan: Plan, client: docker.DockerClient, images: Mapping[str, str]) -> Applied:
    """Create the plan's docker networks, secrets and services on `client`'s Swarm, then wait
    for the services with a convergeConfig, as the provider does (Pulumi creates independent
    resources in parallel: all services are created before any is waited for).

    `images`: planned image reference -> locally built tag.
    """
    resources = [r for r in plan.resources if r.type in CARRIED]
    for resource in resources:
        check_carried(resource)
    applied = Applied()
    network_names: dict[str, str] = {}
    secret_ids: dict[str, str] = {}
    for resource in (r for r in resources if r.type == NETWORK):
        inputs = reveal(resource.inputs)
        applied.networks[resource.name] = client.networks.create(
            inputs["name"], **network_options(inputs))
        network_names[planned_id(plan, resource)] = inputs["name"]
    for resource in (r for r in resources if r.type == SECRET):
        inputs = reveal(resource.inputs)
        secret = client.secrets.create(name=inputs["name"],
                                       data=base64.b64decode(inputs["data"], validate=True),
                                       labels=_label_map(inputs.get("labels")))
        applied.secrets[resource.name] = secret
        secret_ids[planned_id(plan, resource)] = secret.id
    resolver = applied.resolver = Resolver(network_names, secret_ids, images)
    waits = []
    for resource in (r for r in resources if r.type == SERVICE):
        inputs = reveal(resource.inputs)
        spec = service_spec(inputs, resolver)
        applied.specs[resource.name] = spec
        service = applied.services[resource.name] = create_service(client, spec)
        if (timeouts := converge_timeouts(inputs)) is not None:
            waits.append((service, *timeouts))
    for service, delay, timeout in waits:
        try:
            wait_until_converged(service, delay, timeout)
        except TimeoutError:
            service.remove()  # upstream deletes a service that did not converge
            raise
    return applied


def update_service(service: Any, spec: Mapping[str, Any]) -> None:
    """POST /services/{id}/update with the whole `spec`, at the service's current version
    (upstream `resourceDockerServiceUpdate` sends the whole createServiceSpec the same way)."""
    service.reload()
    service.client.api.update_service(
        service.id, service.version, task_template=dict(spec["TaskTemplate"]),
        name=spec["Name"], labels=spec.get("Labels"), mode=spec["Mode"],
        update_config=spec.get("UpdateConfig"), endpoint_spec=spec["EndpointSpec"],
        rollback_config=spec.get("RollbackConfig"))


def create_service(client: docker.DockerClient, spec: Mapping[str, Any]) -> Any:
    """POST /services/create with `spec`, after what upstream's Go client does first for its
    `QueryRegistry: true` (moby client/service_create.go `ServiceCreate`): the image gets a
    `latest` tag if it has none, then is pinned to the digest the daemon's distribution endpoint
    reports (and its platforms become placement platforms) — or stays as it is when no registry
    answers. The local test images are named `127.0.0.1:1/...`, so that lookup is refused at
    once, on the loopback, and the tag is used."""
    task = copy.deepcopy(dict(spec["TaskTemplate"]))
    container = task["ContainerSpec"]
    container["Image"] = _with_tag(container["Image"])
    try:
        found = client.api.inspect_distribution(container["Image"])
    except docker.errors.APIError:
        pass  # Go: digestWarning, and the image as given
    else:
        if "@" not in container["Image"]:
            container["Image"] = f"{container['Image']}@{found['Descriptor']['digest']}"
        platforms = [{"Architecture": p["architecture"], "OS": p["os"]}
                     for p in found.get("Platforms", [])
                     if "unknown" not in (p.get("os"), p.get("architecture"))]
        if platforms:
            task["Placement"] = {**task.get("Placement", {}), "Platforms": platforms}
    created = client.api.create_service(
        task, name=spec["Name"], labels=spec.get("Labels"),
        mode=spec["Mode"], update_config=spec.get("UpdateConfig"),
        endpoint_spec=spec["EndpointSpec"], rollback_config=spec.get("RollbackConfig"))
    return client.services.get(created["ID"])


def _with_tag(image: str) -> str:
    """reference.TagNameOnly: `latest` for a name with neither tag nor digest."""
    last = image.rsplit("/", 1)[-1]
    return image if "@" in image or ":" in last else f"{image}:latest"


def wait_until_converged(service: Any, delay: float, timeout: float) -> None:
    """upstream's create wait (`resourceDockerServiceCreateRefreshFunc`): every desired task
    running, polled every `delay` seconds (here at most 1 s, for speed) until `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        service.reload()
        wanted = service.attrs["Spec"]["Mode"].get("Replicated", {}).get("Replicas", 1)
        running = [t for t in service.tasks({"desired-state": "running"})
                   if t["Status"]["State"] == "running"]
        if len(running) >= wanted:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"service {service.name} did not converge in {timeout:.0f}s: "
                               f"{len(running)}/{wanted} tasks running")
        time.sleep(min(delay, 1.0))
