"""Carving a VPC CIDR into per-AZ private and public subnets.

The VPC is cut into 8 equal blocks: block i (i < 6) is AZ i's private subnet (1/8 of the VPC,
room for EKS pod IPs); the last block is cut into 8 again and AZ i's public subnet is piece i
(1/64 of the VPC: load balancers and NAT gateways only). Adding an AZ never moves an existing
subnet, so growing from 2 to 3 AZs replaces nothing.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple

MAX_AZS = 6


class SubnetPlan(NamedTuple):
    private: list[str]
    public: list[str]


def carve(vpc_cidr: str, az_count: int) -> SubnetPlan:
    if not 1 <= az_count <= MAX_AZS:
        raise ValueError(f"az_count must be 1..{MAX_AZS}, got {az_count}")
    vpc = ipaddress.IPv4Network(vpc_cidr)
    eighths = list(vpc.subnets(prefixlen_diff=3))
    public_pieces = list(eighths[-1].subnets(prefixlen_diff=3))
    return SubnetPlan(private=[str(block) for block in eighths[:az_count]],
                      public=[str(piece) for piece in public_pieces[:az_count]])
