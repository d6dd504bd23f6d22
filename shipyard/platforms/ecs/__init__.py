"""Amazon ECS: services as ECS services on Fargate, Fargate Spot or EC2 instances."""

from shipyard.platforms.base import Picture, Platform

PLATFORM = Platform(
    name="ecs", title="Amazon ECS", in_vpc=True,
    secrets_at_deploy=False,  # the task reads them at start, by full ARN, in any region
    domains=True, autoscaling=True,
    log_groups=True,  # each service's log group
    section="Amazon ECS.",
    picture=Picture("#fdf0e0", "#d08a2e", "ECS cluster"))
