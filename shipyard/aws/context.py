"""The AWS account, region and availability zones the stack deploys to, looked up once per
program, before any resource exists.

Blocking invokes pump the Pulumi event loop with every pending registration, so making them
once, up front, keeps large stacks fast (see bench/run.py); and zones that cannot be had stop
the run as config errors while nothing is registered yet.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi_aws as aws

from shipyard.aws import zones
from shipyard.config.load import ConfigError, key_path
from shipyard.config.schema import Network


@dataclass(frozen=True)
class AwsContext:
    account_id: str
    region: str
    caller_arn: str  # who runs `pulumi up` (an IAM user, or an STS assumed-role session)
    zones: tuple[zones.Zone, ...] = ()

    @classmethod
    def lookup(cls, network: Network) -> "AwsContext":
        chosen: list[zones.Zone] = []
        if not network.existing:
            available = aws.get_availability_zones(
                state="available",
                filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status",
                                                            values=["opt-in-not-required"])])
            try:
                chosen = zones.choose(available.names, available.zone_ids,
                                      network.availability_zones, network.availability_zone_names)
            except zones.ZoneProblems as error:
                raise ConfigError([f"{key_path(loc)}: {message}"
                                   for loc, message in error.problems]) from None
        caller = aws.get_caller_identity()
        return cls(account_id=caller.account_id, region=aws.get_region().region,
                   caller_arn=caller.arn, zones=tuple(chosen))
