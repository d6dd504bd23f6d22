"""Zones by zone ID: the same physical zones in every account, never one EKS or Fargate rejects."""

from __future__ import annotations

import pytest

from shipyard.aws import zones
from shipyard.config import ConfigError
from shipyard.review.mocks import US_EAST_1_ZONES
from tests.conftest import run_shipyard

NAMES, IDS = zip(*US_EAST_1_ZONES)
SUBNET = "aws:ec2/subnet:Subnet"


def subnet_zones(plan) -> set[str]:
    return {s.inputs["availabilityZone"] for s in plan.of_type(SUBNET)}


def test_zones_are_chosen_in_zone_id_order():
    chosen = zones.choose(NAMES, IDS, 3)
    assert [z.zone_id for z in chosen] == ["use1-az1", "use1-az2", "use1-az4"]
    assert [z.name for z in chosen] == ["us-east-1c", "us-east-1d", "us-east-1a"]


def test_the_same_ids_whatever_the_accounts_name_mapping():
    shuffled_names = NAMES[2:] + NAMES[:2]
    first = zones.choose(NAMES, IDS, 4)
    second = zones.choose(shuffled_names, IDS, 4)
    assert [z.zone_id for z in first] == [z.zone_id for z in second]


def test_growing_the_zone_count_only_adds_zones():
    assert zones.choose(NAMES, IDS, 3)[:2] == zones.choose(NAMES, IDS, 2)


def test_zones_eks_rejects_are_never_chosen():
    chosen = zones.choose(NAMES, IDS, 5)
    assert "use1-az3" not in {z.zone_id for z in chosen}
    with pytest.raises(zones.ZoneProblems) as error:
        zones.choose(NAMES, IDS, 6)
    assert error.value.problems == [(("network", "availabilityZones"), (
        "this region has only 5 zones where EKS and Fargate run (use1-az3 skipped): "
        "use at most 5"))]


@pytest.mark.parametrize("zone_id", sorted(zones.UNUSABLE_ZONE_IDS))
def test_every_unusable_zone_is_skipped(zone_id):
    prefix = zone_id.rsplit("-az", 1)[0]
    ids = [f"{prefix}-az{n}" for n in range(1, 5)]
    names = [f"region-1{letter}" for letter in "abcd"]
    assert zone_id not in {z.zone_id for z in zones.choose(names, ids, 3)}


def test_zone_id_prefixes_follow_aws():
    assert [zones.zone_id_prefix(r) for r in ("us-east-1", "ap-northeast-1", "ca-central-1",
                                              "eu-west-2")] == ["use1", "apne1", "cac1", "euw2"]


def test_a_five_zone_vpc_in_us_east_1_skips_use1_az3():
    plan = run_shipyard({"ecs": {"enabled": True}, "network": {"availabilityZones": 5}})
    assert "us-east-1e" not in subnet_zones(plan)  # us-east-1e is use1-az3 in the mock account
    assert len(subnet_zones(plan)) == 5


def test_explicit_zone_names_are_used_as_given():
    plan = run_shipyard({"ecs": {"enabled": True},
                         "network": {"availabilityZoneNames": ["us-east-1b", "us-east-1f"]}})
    assert subnet_zones(plan) == {"us-east-1b", "us-east-1f"}


@pytest.mark.parametrize("network, message", [
    ({"availabilityZoneNames": ["us-east-1e", "us-east-1b"]},
     "shipyard:network.availabilityZoneNames[0]: 'us-east-1e' is zone use1-az3 in this account, "
     "where EKS cannot run: choose another"),
    ({"availabilityZoneNames": ["us-east-1a", "us-east-1z"]},
     "shipyard:network.availabilityZoneNames[1]: 'us-east-1z' is not an available zone of this "
     "region (available: us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f)"),
    ({"availabilityZones": 6},
     "shipyard:network.availabilityZones: this region has only 5 zones where EKS and Fargate run "
     "(use1-az3 skipped): use at most 5"),
    ({"availabilityZones": 3, "availabilityZoneNames": ["us-east-1a", "us-east-1b"]},
     "shipyard:network.availabilityZones: 3 does not match the 2 zones in availabilityZoneNames: "
     "leave it out"),
    ({"availabilityZoneNames": ["us-east-1a", "us-east-1a"]},
     "shipyard:network.availabilityZoneNames[1]: duplicate name 'us-east-1a' (also at index 0)"),
])
def test_zones_that_cannot_be_had_are_config_errors(network, message):
    with pytest.raises(ConfigError) as error:
        run_shipyard({"ecs": {"enabled": True}, "network": network})
    assert error.value.problems == [message]
    assert error.value.registered == ()
