"""ECS container definitions, as plain data so tests can check them against botocore's model.

Everything AWS would otherwise fill in (protocol, hostPort, cpu 0, empty lists) is spelled out:
ECS echoes those defaults back, and a definition without them shows as a change on every
`pulumi preview`.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any, Sequence

from shipyard.aws.fargate import TaskSize, right_size, why_resized
from shipyard.config.schema import Service, StackConfig
from shipyard.services.calls import called

SCRATCH_VOLUME = "scratch"
SCRATCH_PATH = "/tmp"
# The named port Service Connect publishes (a port mapping name: lowercase letters, digits and
# '-', at most 64 characters; PortMapping in the ECS API reference).
PORT_NAME = "http"
SERVICE_CONNECT_LOG_PREFIX = "service-connect"
# The Service Connect proxy runs inside each task on the task's CPU and memory; AWS recommends
# adding 256 CPU units and at least 64 MiB for it ("Amazon ECS Service Connect components",
# Proxy resources: docs.aws.amazon.com/AmazonECS/latest/developerguide/service-connect-concepts-deploy.html).
PROXY_VCPU = 0.25
PROXY_MIB = 64


def log_group_name(cluster: str, service: str) -> str:
    return f"/ecs/{cluster}/{service}"


def uses_service_connect(service: Service, services_on_ecs: Sequence[Service]) -> bool:
    """Callers need the proxy to resolve names; callees publish an endpoint through it."""
    return bool(service.calls) or service.name in called(services_on_ecs)


def task_size(service: Service, proxied: bool) -> TaskSize:
    """The Fargate size of the service's task (`proxied`: with a Service Connect proxy)."""
    if proxied:
        return right_size(service.cpu + PROXY_VCPU, service.memory + PROXY_MIB)
    return right_size(service.cpu, service.memory)


@dataclass(frozen=True)
class Resized:
    """A service whose ECS task runs larger than its spec asks, and why."""
    service: str
    vcpu: float       # the spec's cpu
    memory: int       # the spec's memory, MiB
    proxied: bool     # plus the Service Connect proxy's share
    size: TaskSize    # what the task definition gets

    @property
    def asked(self) -> str:
        proxy = f" + {PROXY_VCPU:g} vCPU, {PROXY_MIB} MiB for its Service Connect proxy" if self.proxied else ""
        return f"{self.vcpu:g} vCPU, {self.memory} MiB{proxy}"

    @property
    def runs(self) -> str:
        return f"{self.size.vcpu:g} vCPU, {self.size.memory / 1024:g} GiB"

    def explain(self) -> str:
        needed = (self.vcpu + PROXY_VCPU, self.memory + PROXY_MIB) if self.proxied else (self.vcpu, self.memory)
        return (f"{self.service}: asks {self.asked}; runs {self.runs}, the smallest valid Fargate "
                f"size that holds it: {why_resized(*needed, self.size)}")


def resized_tasks(config: StackConfig) -> list[Resized]:
    """The ECS services whose task is rounded up to a valid Fargate size (`task_size`, which
    sizes the task on every capacity), in config order."""
    if not config.ecs.enabled:
        return []
    on_ecs = config.services_on("ecs")
    resized = []
    for service in on_ecs:
        proxied = uses_service_connect(service, on_ecs)
        size = task_size(service, proxied)
        needed = (service.cpu + PROXY_VCPU, service.memory + PROXY_MIB) if proxied else (
            service.cpu, service.memory)
        if (size.cpu, size.memory) != (needed[0] * 1024, needed[1]):
            resized.append(Resized(service.name, service.cpu, service.memory, proxied, size))
    return resized


def service_connect_configuration(service: Service, namespace_arn: Any, endpoint: bool,
                                  log_group: Any, region: str) -> dict[str, Any]:
    """ECS CreateService's `serviceConnectConfiguration`, as the API names it.

    A callee publishes its port under its own name, so clients reach it at
    `http://<name>:<port>` (a client alias `dnsName` "doesn't need to be fully-qualified";
    ServiceConnectClientAlias in the ECS API reference). The proxy listens on the container
    port itself (ingressPortOverride's default in awsvpc mode), so security groups admit
    callers on that port.
    """
    configuration: dict[str, Any] = {
        "enabled": True,
        "namespace": namespace_arn,
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": log_group, "awslogs-region": region,
            "awslogs-stream-prefix": SERVICE_CONNECT_LOG_PREFIX}},
    }
    if endpoint:
        configuration["services"] = [{
            "portName": PORT_NAME, "discoveryName": service.name,
            "clientAliases": [{"port": service.port, "dnsName": service.name}]}]
    return configuration


def health_check_command(port: int, path: str) -> list[str]:
    """Probe the service's health path with whichever HTTP client the image ships."""
    url = shlex.quote(f"http://localhost:{port}{path}")
    return ["CMD-SHELL", f"curl -fsS -o /dev/null {url} || wget -q -O /dev/null {url} || exit 1"]


def _port_mapping(service: Service, endpoint: bool) -> dict[str, Any]:
    mapping: dict[str, Any] = {"containerPort": service.port, "hostPort": service.port,
                               "protocol": "tcp"}
    if endpoint:  # only then, so other services' task definitions stay as they were
        mapping.update(name=PORT_NAME, appProtocol="http")
    return mapping


def container_definitions(service: Service, image: str, log_group: str, region: str,
                          exec_enabled: bool, endpoint: bool = False) -> list[dict[str, Any]]:
    """`endpoint`: the service publishes a Service Connect endpoint (another service calls it)."""
    container: dict[str, Any] = {
        "name": service.name,
        "image": image,
        "essential": True,
        "cpu": 0,
        "portMappings": [_port_mapping(service, endpoint)],
        "environment": [{"name": k, "value": v} for k, v in sorted(service.env.items())],
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(service.secrets.items())],
        "environmentFiles": [],
        "mountPoints": [{"sourceVolume": SCRATCH_VOLUME, "containerPath": SCRATCH_PATH,
                         "readOnly": False}],
        "volumesFrom": [],
        "systemControls": [],
        # Security Hub ECS.4 / ECS.5: never privileged, root filesystem read-only (the scratch
        # volume above is the one writable path).
        "privileged": False,
        "readonlyRootFilesystem": True,
        "linuxParameters": {"initProcessEnabled": exec_enabled},
        "healthCheck": {"command": health_check_command(service.port, service.health_check_path),
                        "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 60},
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": log_group, "awslogs-region": region,
            "awslogs-stream-prefix": service.name}},
    }
    return [container]


def container_definitions_json(service: Service, image: str, log_group: str, region: str,
                               exec_enabled: bool, endpoint: bool = False) -> str:
    """The task definition's `containerDefinitions` exactly as Shipyard sends it: the rule that
    holds it to ECS's size limit (shipyard.platforms.ecs.rules) measures this very string."""
    return json.dumps(container_definitions(service, image, log_group, region, exec_enabled,
                                            endpoint), sort_keys=True)
