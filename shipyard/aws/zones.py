"""Choosing availability zones by zone ID, skipping zones where EKS or Fargate cannot run.

Zone *names* (us-east-1a) map to different physical zones in every account; zone *IDs*
(use1-az1) are the same everywhere. Shipyard takes the region's usable zone IDs in ID order, so
every account and every stack gets the same physical zones, and growing from 2 to 3 zones only
adds one. Zones EKS or Fargate reject are skipped even when the stack uses neither, so enabling
EKS later never moves (replaces) a subnet.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple, Sequence

# Amazon EKS user guide, "View Amazon EKS networking requirements for VPC and subnets" ->
# "Subnet requirements for clusters": subnets can't reside in these zone IDs
# (docs.aws.amazon.com/eks/latest/userguide/network-reqs.html; EKS then answers
# UnsupportedAvailabilityZoneException).
EKS_UNSUPPORTED_ZONE_IDS = frozenset({"use1-az3", "usw1-az2", "cac1-az3"})
# Amazon ECS developer guide, "Supported Regions for Amazon ECS on AWS Fargate": us-west-1
# (usw1-az1 & usw1-az3 only), ap-northeast-1 (apne1-az1, apne1-az2 & apne1-az4 only).
FARGATE_UNSUPPORTED_ZONE_IDS = frozenset({"usw1-az2", "apne1-az3"})
UNUSABLE_ZONE_IDS = EKS_UNSUPPORTED_ZONE_IDS | FARGATE_UNSUPPORTED_ZONE_IDS

Problem = tuple[tuple[Any, ...], str]


class Zone(NamedTuple):
    name: str
    zone_id: str


class ZoneProblems(Exception):
    """The configured zones cannot be had in this account and region."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.problems = problems


def _id_order(zone_id: str) -> tuple[str, int]:
    prefix, _, number = zone_id.rpartition("-az")
    return prefix, int(number) if number.isdigit() else 0


def _why_unusable(zone_id: str) -> str:
    services = [service for service, ids in (("EKS", EKS_UNSUPPORTED_ZONE_IDS),
                                              ("Fargate", FARGATE_UNSUPPORTED_ZONE_IDS))
                if zone_id in ids]
    return " and ".join(services)


def choose(names: Sequence[str], zone_ids: Sequence[str], count: int,
           explicit: Sequence[str] | None = None) -> list[Zone]:
    """The zones to build subnets in: `explicit` names as given, or the first `count` usable
    zone IDs. Raises :class:`ZoneProblems` (with config key locations) when that is impossible."""
    by_name = dict(zip(names, zone_ids, strict=True))
    if explicit:
        problems: list[Problem] = []
        for index, name in enumerate(explicit):
            at = ("network", "availabilityZoneNames", index)
            if name not in by_name:
                problems.append((at, f"'{name}' is not an available zone of this region "
                                     f"(available: {', '.join(sorted(by_name))})"))
            elif by_name[name] in UNUSABLE_ZONE_IDS:
                problems.append((at, f"'{name}' is zone {by_name[name]} in this account, where "
                                     f"{_why_unusable(by_name[name])} cannot run: choose another"))
        if problems:
            raise ZoneProblems(problems)
        return [Zone(name, by_name[name]) for name in explicit]
    usable = sorted((zone_id for zone_id in zone_ids if zone_id not in UNUSABLE_ZONE_IDS),
                    key=_id_order)
    if len(usable) < count:
        skipped = sorted(set(zone_ids) & UNUSABLE_ZONE_IDS)
        raise ZoneProblems([(("network", "availabilityZones"), (
            f"this region has only {len(usable)} zones where EKS and Fargate run"
            + (f" ({', '.join(skipped)} skipped)" if skipped else "")
            + f": use at most {len(usable)}"))])
    by_id = {zone_id: name for name, zone_id in by_name.items()}
    return [Zone(by_id[zone_id], zone_id) for zone_id in usable[:count]]


# Region -> zone-ID prefix, as AWS abbreviates it: us-east-1 -> use1, ap-northeast-1 -> apne1.
_DIRECTIONS = {"east": "e", "west": "w", "north": "n", "south": "s", "central": "c",
               "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw"}


def zone_id_prefix(region: str) -> str:
    match = re.fullmatch(r"([a-z]+)-([a-z]+)-(\d+)", region)
    if not match:
        return region
    area, direction, number = match.groups()
    return f"{area}{_DIRECTIONS.get(direction, direction[:1])}{number}"
