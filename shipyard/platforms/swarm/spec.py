"""`shipyard:swarm`: an existing Docker Swarm, reached through a manager's Docker API."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Optional

from pydantic import Field, model_validator

from shipyard.config.types import (
    Pem,
    PlatformSection,
    pattern_check,
    problem_check,
)
from shipyard.services.containers import RUN_AS_USER

# The uid:gid the tasks run as unless `user` says otherwise: the same unprivileged user as
# Kubernetes pods and Nomad tasks, so one image runs on each.
DEFAULT_USER = f"{RUN_AS_USER}:{RUN_AS_USER}"
HOST_SCHEMES = ("unix", "ssh", "tcp")


def _user_problem(user: str) -> Optional[str]:
    """Docker's `user` is `name|uid[:group|gid]`. Numbers only: a name may map to uid 0 inside
    the image, and secret files are owned by the uid and gid (their file_uid, file_gid)."""
    if not re.fullmatch(r"\d+(:\d+)?", user):
        return f"must be a numeric uid:gid such as {DEFAULT_USER} (a name may be root in the image)"
    if int(user.split(":")[0]) == 0:
        return f"'{user}' runs the tasks as root: give an unprivileged uid:gid such as {DEFAULT_USER}"
    return None


DockerHost = Annotated[str, pattern_check(
    rf"({'|'.join(HOST_SCHEMES)})://\S+",
    "must be a Docker host address: unix:///var/run/docker.sock, ssh://user@manager or "
    "tcp://manager:2376")]


class Swarm(PlatformSection):
    enabled: bool = Field(False, description=(
        "Deploy the services to this Swarm. Default: on when `host` is set; `true` alone uses "
        "the Docker host of whoever runs `pulumi up` (DOCKER_HOST, else the local socket), "
        "which must be a Swarm manager."))
    host: Optional[DockerHost] = Field(None, description=(
        "A Swarm manager's Docker API: `unix:///var/run/docker.sock` (on the manager), "
        "`ssh://user@manager` (the deployer's ssh client and keys) or `tcp://manager:2376` "
        "(mutual TLS: caMaterial, certMaterial and keyMaterial)."))
    ssh_opts: list[Annotated[str, Field(min_length=1)]] = Field([], description=(
        "ssh:// hosts: extra options for the deployer's ssh client, e.g. "
        "`[-o, StrictHostKeyChecking=yes]`."))
    ca_material: Optional[Pem] = Field(None, description=(
        "tcp:// hosts: the PEM CA certificate the daemon's certificate is checked against."))
    cert_material: Optional[Pem] = Field(None, description=(
        "tcp:// hosts: the PEM client certificate Shipyard presents to the daemon."))
    key_material: Optional[Pem] = Field(None, description=(
        "tcp:// hosts: the client certificate's PEM private key. Must be a Pulumi secret: "
        "`pulumi config set --secret --path shipyard:swarm.keyMaterial < key.pem`."))
    endpoint_mode: Literal["vip", "dnsrr"] = Field("vip", description=(
        "How a service's name resolves on its networks: `vip` (one virtual IP, balanced by "
        "IPVS on each node) or `dnsrr` (DNS round robin over the task addresses; for nodes "
        "without IPVS). `dnsrr` needs publishMode `host` for public services."))
    publish_mode: Literal["ingress", "host"] = Field("ingress", description=(
        "How public services publish their port: `ingress` (the routing mesh: the port "
        "answers on every node) or `host` (only on the nodes running a task)."))
    user: Annotated[str, Field(min_length=1), problem_check(_user_problem)] = Field(
        DEFAULT_USER, description=(
            "uid:gid the service processes run as (never root). Default: the same "
            "unprivileged user as Kubernetes pods."))

    @model_validator(mode="before")
    @classmethod
    def _enabled_by_a_host(cls, data: Any) -> Any:
        """Naming a host turns the section on unless it says otherwise."""
        if isinstance(data, dict) and "enabled" not in data:
            return {**data, "enabled": data.get("host") is not None}
        return data

    @property
    def uid(self) -> str:
        return self.user.split(":")[0]

    @property
    def gid(self) -> str:
        """The group: the given one, else the uid's number (Docker's default is the user's
        primary group, which a numeric uid has none of in most images)."""
        return self.user.split(":")[-1]

    @property
    def scheme(self) -> Optional[str]:
        return self.host.split("://", 1)[0] if self.host else None



Section = Swarm
