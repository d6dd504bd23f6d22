"""ECS controls (Security Hub ECS.1-5, ECS.8-10, ECS.12), on task definitions, services and
clusters. Container definitions are read from the task definition's JSON, as ECS receives it."""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator, Mapping, Sequence

from shipyard.review.controls.base import (
    Control,
    Finding,
    Resource,
    container_definitions,
    get,
    items,
    of_type,
    verdict,
)

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
CLUSTER = "aws:ecs/cluster:Cluster"
FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
# ECS.10 passes `LATEST` and the newest Linux platform version (the control's
# `latestLinuxVersion` parameter defaults to 1.4.0).
LATEST_PLATFORM_VERSIONS = ("LATEST", "1.4.0")
# ECS.8 looks for these keys (Security Hub: "ECS task definitions should not have secrets as
# container environment variables"); Shipyard adds the usual credential-looking names.
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA")
CREDENTIAL_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|SECRET_KEY|PRIVATE_KEY|API_KEY|TOKEN)$")


def _task_setting(key: str, forbidden: str, ok: str
                  ) -> Callable[[Sequence[Resource]], Iterator[Finding]]:
    def rule(resources: Sequence[Resource]) -> Iterator[Finding]:
        for task in of_type(resources, TASK_DEFINITION):
            value = task.inputs.get(key)
            yield verdict(task, value != forbidden, ok, f"{key} is {forbidden}")
    return rule


def _each_container(check: Callable[[Mapping[str, Any]], str | None], ok: str
                    ) -> Callable[[Sequence[Resource]], Iterator[Finding]]:
    """A rule over every container of every task definition; `check` returns a problem or None."""
    def rule(resources: Sequence[Resource]) -> Iterator[Finding]:
        for task in of_type(resources, TASK_DEFINITION):
            problems = [f"container {c.get('name')}: {problem}" for c in container_definitions(task)
                        if (problem := check(c))]
            yield verdict(task, not problems, ok, "; ".join(problems))
    return rule


def _privileged(container: Mapping[str, Any]) -> str | None:
    return "privileged" if container.get("privileged") is True else None


def _read_only_root(container: Mapping[str, Any]) -> str | None:
    return None if container.get("readonlyRootFilesystem") is True else "root filesystem is writable"


def _credentials_in_environment(container: Mapping[str, Any]) -> str | None:
    names = [e.get("name", "") for e in container.get("environment") or []]
    found = [n for n in names if n in CREDENTIAL_VARIABLES or CREDENTIAL_NAME.search(n.upper())]
    if not found:
        return None
    return f"credentials in plain environment variables: {', '.join(found)} (use secrets)"


def _logging(container: Mapping[str, Any]) -> str | None:
    return None if get(container, "logConfiguration.logDriver") else "no logConfiguration"


def public_ip(resources: Sequence[Resource]) -> Iterator[Finding]:
    for service in of_type(resources, SERVICE):
        assigned = get(service.inputs, "networkConfiguration.assignPublicIp") is True
        yield verdict(service, not assigned, "no public IP", "assignPublicIp is true")


def _on_fargate(service: Resource) -> bool:
    return service.inputs.get("launchType") == "FARGATE" or any(
        s.get("capacityProvider") in FARGATE_PROVIDERS
        for s in items(service.inputs.get("capacityProviderStrategies")))


def fargate_latest(resources: Sequence[Resource]) -> Iterator[Finding]:
    for service in filter(_on_fargate, of_type(resources, SERVICE)):
        version = service.inputs.get("platformVersion", "LATEST")
        yield verdict(service, version in LATEST_PLATFORM_VERSIONS, f"platform version {version}",
                      f"pinned to Fargate platform version {version}")


def container_insights(resources: Sequence[Resource]) -> Iterator[Finding]:
    for cluster in of_type(resources, CLUSTER):
        value = next((s.get("value") for s in items(cluster.inputs.get("settings"))
                      if s.get("name") == "containerInsights"), "disabled")
        yield verdict(cluster, value in ("enabled", "enhanced"), f"Container Insights {value}",
                      "Container Insights is off")


CONTROLS = (
    Control("ECS.1", "ECS task definitions don't use host networking",
            _task_setting("networkMode", "host", "network mode is not host")),
    Control("ECS.2", "ECS services don't assign public IPs", public_ip),
    Control("ECS.3", "ECS task definitions don't share the host's process namespace",
            _task_setting("pidMode", "host", "PID mode is not host")),
    Control("ECS.4", "ECS containers run unprivileged",
            _each_container(_privileged, "no privileged container")),
    Control("ECS.5", "ECS containers have read-only root filesystems",
            _each_container(_read_only_root, "read-only root filesystems")),
    Control("ECS.8", "ECS containers get credentials from secrets, not plain environment variables",
            _each_container(_credentials_in_environment, "no credentials in the environment")),
    Control("ECS.9", "ECS containers have a log configuration",
            _each_container(_logging, "every container logs")),
    Control("ECS.10", "ECS Fargate services run on the latest platform version", fargate_latest),
    Control("ECS.12", "ECS clusters have Container Insights", container_insights),
)
