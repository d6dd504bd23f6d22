"""Which AWS interface endpoints private subnets need to reach AWS without a NAT gateway.

Computed from the config, so a stack gets every endpoint its compute calls and pays for no other
(each interface endpoint costs per hour per zone). Image layers come from S3, which the network
always reaches through a free gateway endpoint when `vpcEndpoints` is on. Sources:

- ECS on EC2: "Amazon ECS interface VPC endpoints (AWS PrivateLink)" — container instances need
  `ecs`, `ecs-agent` and `ecs-telemetry`; the SSM agent (the instance role carries
  AmazonSSMManagedInstanceCore) needs `ssm`, `ssmmessages` and `ec2messages`.
- ECS tasks: ECR `ecr.api` + `ecr.dkr` (+ S3) for images, `logs` for awslogs, `secretsmanager` /
  `ssm` for the secrets they reference; ECS Exec needs `ssmmessages` ("Using ECS Exec").
- EKS: "Deploy private clusters with limited internet access" — `ec2` (the EKS AMI names its
  node through EC2), `ecr.api` + `ecr.dkr` + S3, `sts` (IRSA, Fargate), `eks-auth` (Pod Identity,
  whose agent Shipyard installs on node clusters), `eks` (the EKS API). The guide's
  `elasticloadbalancing` serves the AWS Load Balancer Controller, which Shipyard does not install
  (its NLB Services are made by the EKS control plane, outside the VPC); `logs`, `xray` and
  `ssm` are for agents Shipyard does not run on EKS nodes. Self-managed nodes must also carry
  the cluster endpoint and CA in their bootstrap config so they never call the EKS API.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator, Optional

if TYPE_CHECKING:  # the config rules import this module
    from shipyard.config.schema import Service, StackConfig

ECR = ("ecr.api", "ecr.dkr")
ECS_CONTAINER_INSTANCE = ("ecs", "ecs-agent", "ecs-telemetry")
SSM_AGENT = ("ssm", "ssmmessages", "ec2messages")
ECS_EXEC = ("ssmmessages",)
EKS_NODES = ("ec2", "sts", "eks-auth", "eks")
EKS_FARGATE = ("sts",)

# A private ECR registry: the only kind an interface endpoint reaches (in its own region).
ECR_IMAGE = re.compile(r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/")


def secret_services(services: list[Service]) -> Iterator[str]:
    """The endpoint services the secrets of `services` are read through."""
    for service in services:
        for arn in service.secrets.values():
            yield "secretsmanager" if ":secretsmanager:" in arn else "ssm"


def interface_endpoints(config: StackConfig) -> tuple[str, ...]:
    """The interface endpoint services (`com.amazonaws.<region>.<name>`) the stack needs: what
    each enabled platform's section asks for."""
    needed = [name for platform in config.enabled_platforms()
              for name in getattr(config, platform).interface_endpoints(config)]
    return tuple(dict.fromkeys(needed))  # first-seen order, no duplicates


def ecr_region(image: str) -> Optional[str]:
    """The region of the private ECR registry `image` is in, or None for any other registry."""
    match = ECR_IMAGE.match(image)
    return match["region"] if match else None
