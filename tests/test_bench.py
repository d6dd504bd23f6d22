"""The benchmark's generated stacks stay valid configs (a benchmark that exits 2 measures nothing)."""

from __future__ import annotations

import gc
import importlib.util
import re

import pytest
from pulumi.runtime import resource as sdk_resource

from shipyard.config import ConfigError
from shipyard.config.load import parse
from shipyard.platforms import NAMES
from shipyard.review import engine
from tests.conftest import PROJECT, run_shipyard

_spec = importlib.util.spec_from_file_location("bench_run", PROJECT / "bench" / "run.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


@pytest.mark.parametrize("services, node_groups", [(1, 1), (50, 10)])
def test_generated_stacks_are_valid(services, node_groups):
    config = bench.generated_config(services, node_groups)["config"]
    parsed = parse({key.split(":", 1)[1]: value for key, value in config.items()
                    if key.startswith("shipyard:")}, region=config["aws:region"])
    assert len(parsed.services) == services and len(parsed.eks.node_groups) == node_groups


# Production files that hard-code an existing platform's name outside its folders (bench (d)).
# It may only shrink; a platform not listed (a new one) may name itself only in the registry.
REGISTRY = "shipyard/platforms/__init__.py"
STILL_NAMING = {
    # EKS deploys its workloads through the Kubernetes platform's components: a platform
    # building on another, not shared code.
    "kubernetes": {REGISTRY, "shipyard/platforms/eks/deploy.py"},
}


@pytest.mark.parametrize("name", NAMES)
def test_no_new_production_file_hard_codes_a_platform_name(name):
    naming = set(bench.files_naming(name))
    assert REGISTRY in naming  # the counter finds the registry's import of every platform
    assert naming <= STILL_NAMING.get(name, {REGISTRY}), (
        f"hard-coded platform {name!r} outside shipyard/platforms/{name}/ and components/{name}/:"
        " read it from the registry (shipyard/platforms) or move the code into the platform")


def test_contributing_lists_exactly_what_the_bench_counts():
    """CONTRIBUTING.md's "Outside its folders" checklist is the registry plus bench (d)'s
    list, so the count `make bench` prints is the checklist's."""
    text = (PROJECT / "CONTRIBUTING.md").read_text()
    checklist = text.split("### Outside its folders")[1].split("###")[0]
    listed = re.findall(r"^\d+\. `([^`]+)`", checklist, flags=re.MULTILINE)
    assert listed == [REGISTRY, *bench.EDITED_OUTSIDE_CODE]
    assert f"({len(listed)} files)" in text
    added = re.findall(r"^- `([^`]+)`", checklist, flags=re.MULTILINE)
    assert added == list(bench.ADDED_OWN_FILES)


def test_the_counter_sees_each_way_of_hard_coding_a_name(tmp_path):
    (tmp_path / "shipyard").mkdir()
    (tmp_path / "components").mkdir()
    (tmp_path / "__main__.py").write_text("")
    cases = {"imports.py": "from shipyard.platforms.swarm import spec\n",
             "section.py": "def f(config):\n    return config.swarm.enabled\n",
             "key.py": "KEY = 'shipyard:swarm.replicas'\n",
             "compare.py": "def f(name):\n    return name in ('ecs', 'swarm')\n",
             "index.py": "def f(platforms):\n    return platforms['swarm']\n",
             "table.py": "COLOURS = {'swarm': '#fff'}\n",
             "prose.py": "'''Docker swarm mode.'''\nNOTE = 'runs on swarm'\n"}
    for file, source in cases.items():
        (tmp_path / "shipyard" / file).write_text(source)
    (tmp_path / "shipyard" / "platforms" / "swarm").mkdir(parents=True)
    (tmp_path / "shipyard" / "platforms" / "swarm" / "own.py").write_text("X = config.swarm\n")
    assert sorted(bench.files_naming("swarm", tmp_path)) == sorted(
        f"shipyard/{file}" for file in cases if file != "prose.py")


def test_the_offline_shortcuts_end_with_the_run(monkeypatch):
    """The engine plans without the cyclic collector and the SDK's per-resource stack traces
    (bench (b)); both are back after a run, and after a run that fails."""
    stack_trace = sdk_resource._get_stack_trace
    assert gc.isenabled()
    engine.run("dev")
    with pytest.raises(ConfigError):
        run_shipyard({"ecs": {"enabled": True}, "services": [{"name": "Bad_Name"}]})
    assert gc.isenabled() and sdk_resource._get_stack_trace is stack_trace
