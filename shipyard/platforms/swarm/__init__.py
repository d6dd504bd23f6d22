"""An existing Docker Swarm (on AWS or anywhere), reached through a manager's Docker API."""

from shipyard.platforms.base import Picture, Platform

PLATFORM = Platform(
    name="swarm", title="Docker Swarm", in_vpc=False,
    secrets_at_deploy=True,  # read through the stack's AWS provider into Docker secrets
    domains=False,           # no AWS load balancer, certificate or zone Shipyard controls
    autoscaling=False,       # Swarm has none: each service runs `replicas`
    log_groups=False,
    section="An existing Docker Swarm (on AWS or anywhere): set `host` (docs/swarm.md).",
    # A failed update is rolled back by Swarm, while the provider's error leaves the new inputs
    # in the state (terraform-provider-docker v4.5.0 resource_docker_service_funcs.go,
    # resourceDockerServiceUpdateRefreshFunc: "service rollback completed" is an error; the
    # plugin SDK then keeps the planned state): without a refresh the next `pulumi up` would
    # see no change and never retry (docs/swarm.md).
    refresh_before_up=True,
    picture=Picture("#e6f3fb", "#2496ed", "Docker Swarm"))
