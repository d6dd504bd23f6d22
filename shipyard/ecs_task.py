"""ECS container definitions, as plain data so tests can check them against botocore's model.

Everything AWS would otherwise fill in (protocol, hostPort, cpu 0, empty lists) is spelled out:
ECS echoes those defaults back, and a definition without them shows as a change on every
`pulumi preview`.
"""

from __future__ import annotations

import shlex
from typing import Any

from shipyard.config.schema import Service

SCRATCH_VOLUME = "scratch"
SCRATCH_PATH = "/tmp"


def health_check_command(port: int, path: str) -> list[str]:
    """Probe the service's health path with whichever HTTP client the image ships."""
    url = shlex.quote(f"http://localhost:{port}{path}")
    return ["CMD-SHELL", f"curl -fsS -o /dev/null {url} || wget -q -O /dev/null {url} || exit 1"]


def container_definitions(service: Service, image: str, log_group: str, region: str,
                          exec_enabled: bool) -> list[dict[str, Any]]:
    container: dict[str, Any] = {
        "name": service.name,
        "image": image,
        "essential": True,
        "cpu": 0,
        "portMappings": [{"containerPort": service.port, "hostPort": service.port,
                          "protocol": "tcp"}],
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
