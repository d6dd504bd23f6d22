"""Golden plans: any change to what a shipped stack would create fails here with a readable diff.

Refresh after an intended change with `make golden`, and review the JSON diff in the commit.
"""

from __future__ import annotations

import json

import pytest

from shipyard.review import diff
from tests.conftest import PROJECT, SHIPPED_STACKS

GOLDEN = PROJECT / "tests" / "golden"


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_plan_matches_its_golden_snapshot(stack):
    path = GOLDEN / f"{stack}.json"
    assert path.exists(), f"no golden plan for {stack}: run `make golden`"
    golden = json.loads(path.read_text())
    current = diff.plan_document(stack)
    changes = diff.compare(golden, current)
    report = diff.render(changes, f"golden {stack}", f"current {stack}")
    assert changes == [], f"{report}\n(intended? refresh with `make golden`)"
    assert current["outputs"] == golden["outputs"], "stack outputs changed: `make golden`"
    assert current["resourceCount"] == golden["resourceCount"]


def test_every_golden_plan_belongs_to_a_shipped_stack():
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == SHIPPED_STACKS
