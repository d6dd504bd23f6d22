"""The hardening Kubernetes' `restricted` profile asks of a pod, asked of every Nomad docker task:
read-only root filesystem, not privileged, every capability dropped (none added), a non-root
user. Nomad has no admission profile of its own, so the jobspec is the only place to see it.

Source: the docker task driver's options (hashicorp/nomad drivers/docker/config.go:
readonly_rootfs, privileged, cap_drop, cap_add; Task.User is the container's user).
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Mapping, Sequence

from shipyard.review.controls.base import (
    Control,
    Finding,
    Resource,
    items,
    of_type,
    verdict,
)

JOB = "nomad:index/job:Job"
ROOT_USERS = ("", "0", "root")


def task_problems(task: Mapping[str, Any]) -> list[str]:
    config = task.get("Config") or {}
    problems = []
    if config.get("readonly_rootfs") is not True:
        problems.append("root filesystem is not read-only")
    if config.get("privileged") is True:
        problems.append("privileged")
    if "ALL" not in items(config.get("cap_drop")):
        problems.append("capabilities do not drop ALL")
    if items(config.get("cap_add")):
        problems.append("adds capabilities")
    if str(task.get("User") or "").split(":")[0] in ROOT_USERS:
        problems.append("runs as root (no non-root User)")
    return [f"task {task.get('Name')}: {p}" for p in problems]


def hardened(resources: Sequence[Resource]) -> Iterator[Finding]:
    for job in of_type(resources, JOB):
        spec = job.inputs.get("jobspec")
        if not isinstance(spec, str):
            continue  # not known yet (a preview of an image still to be built): no verdict
        document = json.loads(spec)
        problems = [problem for group in document.get("TaskGroups") or []
                    for task in group.get("Tasks") or [] if task.get("Driver") == "docker"
                    for problem in task_problems(task)]
        yield verdict(job, not problems, "docker tasks are hardened", "; ".join(problems))


CONTROLS = (
    Control("NOMAD.hardened", "Nomad docker tasks: read-only root, not privileged, all "
            "capabilities dropped, a non-root user", hardened),
)
