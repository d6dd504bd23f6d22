"""The benchmark's generated stacks stay valid configs (a benchmark that exits 2 measures nothing)."""

from __future__ import annotations

import importlib.util

import pytest

from shipyard.config.load import parse
from tests.conftest import PROJECT

_spec = importlib.util.spec_from_file_location("bench_run", PROJECT / "bench" / "run.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


@pytest.mark.parametrize("services, node_groups", [(1, 1), (50, 10)])
def test_generated_stacks_are_valid(services, node_groups):
    config = bench.generated_config(services, node_groups)["config"]
    parsed = parse({key.split(":", 1)[1]: value for key, value in config.items()
                    if key.startswith("shipyard:")}, region=config["aws:region"])
    assert len(parsed.services) == services and len(parsed.eks.node_groups) == node_groups
