"""Security controls of Docker Swarm services, the Swarm side of ECS.1/ECS.4/ECS.5 and the Pod
Security Standard `restricted`: non-root, read-only root filesystem, no privilege, no host
network (the CIS Docker Benchmark's container runtime checks say the same).

Read from the recorded inputs of pulumi-docker's `docker.Service` (camelCase, as Pulumi records
them). Swarm services have no privileged mode at all (the Engine API's ContainerSpec has no such
field): what they can add is capabilities, so "no privilege" is: all dropped, none added beyond
NET_BIND_SERVICE.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from shipyard.review.controls.base import (
    Control,
    Finding,
    Resource,
    get,
    items,
    of_type,
    verdict,
)

SERVICE = "docker:index/service:Service"
CONTAINER = "taskSpec.containerSpec"
ALLOWED_CAPABILITIES = ("NET_BIND_SERVICE",)


def _services(resources: Sequence[Resource]) -> list[Resource]:
    return of_type(resources, SERVICE)


def non_root(resources: Sequence[Resource]) -> Iterator[Finding]:
    for service in _services(resources):
        user = str(get(service.inputs, f"{CONTAINER}.user") or "")
        uid = user.split(":")[0]
        yield verdict(service, uid.isdigit() and int(uid) != 0, f"runs as uid {uid}",
                      "runs as root (no user, uid 0 or a user name)" if not user or uid in
                      ("0", "root") else f"runs as '{user}', not a numeric non-root uid")


def read_only_root(resources: Sequence[Resource]) -> Iterator[Finding]:
    for service in _services(resources):
        yield verdict(service, get(service.inputs, f"{CONTAINER}.readOnly") is True,
                      "root filesystem is read-only", "root filesystem is writable")


def no_privilege(resources: Sequence[Resource]) -> Iterator[Finding]:
    for service in _services(resources):
        dropped = items(get(service.inputs, f"{CONTAINER}.capDrops"))
        added = set(items(get(service.inputs, f"{CONTAINER}.capAdds"))) - set(ALLOWED_CAPABILITIES)
        problems = ([] if "ALL" in dropped else ["capabilities do not drop ALL"]) + (
            [f"adds {', '.join(sorted(added))}"] if added else [])
        yield verdict(service, not problems, "drops every capability", "; ".join(problems))


def no_host_network(resources: Sequence[Resource]) -> Iterator[Finding]:
    for service in _services(resources):
        networks = [n.get("id") or n.get("name")
                    for n in items(get(service.inputs, "taskSpec.networksAdvanceds"))]
        yield verdict(service, "host" not in networks, "uses no host network",
                      "attached to the host network")


CONTROLS = (
    Control("SWARM.1", "Docker Swarm services run as a numeric non-root user", non_root),
    Control("SWARM.2", "Docker Swarm services have a read-only root filesystem", read_only_root),
    Control("SWARM.3", "Docker Swarm services drop every capability (no privileged containers)",
            no_privilege),
    Control("SWARM.4", "Docker Swarm services do not use the host's network", no_host_network),
)
