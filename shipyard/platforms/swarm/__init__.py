"""An existing Docker Swarm (on AWS or anywhere), reached through a manager's Docker API."""

from shipyard.platforms.base import Picture, Platform

PLATFORM = Platform(
    name="swarm", title="Docker Swarm", in_vpc=False,
    secrets_at_deploy=True,  # read through the stack's AWS provider into Docker secrets
    domains=False,           # no AWS load balancer, certificate or zone Shipyard controls
    autoscaling=False,       # Swarm has none: each service runs `replicas`
    section="An existing Docker Swarm (on AWS or anywhere): set `host` (docs/swarm.md).",
    picture=Picture("#e6f3fb", "#2496ed", "Docker Swarm"))
