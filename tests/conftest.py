"""Fixtures: offline runs of the real program (shipped stacks, or a config given inline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from shipyard import shipped_stacks
from shipyard.review import engine

PROJECT = Path(__file__).resolve().parent.parent
SHIPPED_STACKS = shipped_stacks(PROJECT)


@pytest.fixture(scope="session")
def stack_plan() -> Callable[[str], engine.Plan]:
    """The plan of a shipped stack, run once per test session."""
    plans: dict[str, engine.Plan] = {}

    def plan(stack: str) -> engine.Plan:
        if stack not in plans:
            plans[stack] = engine.run(stack)
        return plans[stack]

    return plan


def run_shipyard(shipyard: dict[str, Any], stack: str = "test", **extra: Any) -> engine.Plan:
    """Run the program with these `shipyard:` keys (plus aws:region) instead of a stack file."""
    config = {"aws:region": "us-east-1", **extra,
              **{f"shipyard:{key}": value for key, value in shipyard.items()}}
    return engine.run(stack, config=config)


@pytest.fixture
def run_config() -> Callable[..., engine.Plan]:
    return run_shipyard


@pytest.fixture
def rotate_secrets(monkeypatch) -> Callable[[str], None]:
    """Make every Secrets Manager secret read return a new version id (a rotation, same ARN)."""
    from shipyard.review import mocks

    def rotate(version: str) -> None:
        real_call = mocks.ShipyardMocks.call

        def rotated(self, args):
            result = real_call(self, args)
            if args.token == "aws:secretsmanager/getSecretVersion:getSecretVersion":
                result = {**result, "versionId": version}
            return result

        monkeypatch.setattr(mocks.ShipyardMocks, "call", rotated)

    return rotate
