"""Nothing lost: every URN a shipped stack ever had is still in its plan or aliased
(tests/urns/<stack>.txt; `make golden` adds new URNs, only a deliberate edit removes one)."""

from __future__ import annotations

import pytest

from shipyard.review import urns
from shipyard.review.engine import Plan, Resource
from tests.conftest import SHIPPED_STACKS

OLD = "urn:pulumi:prod::shipyard::shipyard:ecr:EcrRepository$aws:ecr/repository:Repository::shop-api"


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_no_shipped_urn_is_lost(stack, stack_plan):
    ledger = urns.read(stack)
    assert ledger, f"tests/urns/{stack}.txt is missing: run `make golden`"
    assert urns.lost(stack_plan(stack), ledger) == []


def repository(urn: str, aliases: tuple[str, ...] = ()) -> Plan:
    return Plan("prod", (Resource(urn, "aws:ecr/repository:Repository", urn.rsplit("::", 1)[1],
                                  None, True, {}, aliases=aliases),))


def test_a_renamed_resource_without_an_alias_is_lost():
    renamed = OLD.replace("::shop-api", "::shop-api-v2")
    assert urns.lost(repository(renamed), {OLD}) == [OLD]


def test_an_alias_keeps_the_old_urn():
    renamed = OLD.replace("::shop-api", "::shop-api-v2")
    assert urns.lost(repository(renamed, aliases=("shop-api",)), {OLD}) == []
    assert urns.lost(repository(renamed, aliases=(OLD,)), {OLD}) == []


def test_recording_adds_urns_and_never_drops_any(tmp_path):
    urns.record(repository(OLD), tmp_path)
    new = OLD.replace("::shop-api", "::shop-web")
    urns.record(repository(new), tmp_path)
    assert urns.read("prod", tmp_path) == {OLD, new}
