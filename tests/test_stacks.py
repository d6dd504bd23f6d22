"""Every shipped stack validates and plans; plans are deterministic; the CLI behaves."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from shipyard.cli import main
from shipyard.review import engine
from tests.conftest import PROJECT, SHIPPED_STACKS


def test_the_three_environments_are_shipped():
    assert {"dev", "staging", "prod"} <= set(SHIPPED_STACKS)


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_stack_validates_and_plans(stack, stack_plan):
    plan = stack_plan(stack)
    assert plan.resources
    assert all(r.parent is None or any(p.urn == r.parent for p in plan.resources)
               for r in plan.resources), "every parent is itself registered"


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_two_runs_record_identical_inputs(stack, stack_plan):
    assert engine.run(stack) == stack_plan(stack)


def test_stacks_have_distinct_purposes(stack_plan):
    nat = "aws:ec2/natGateway:NatGateway"
    assert len(stack_plan("dev").of_type(nat)) == 1
    assert len(stack_plan("prod").of_type(nat)) == 3
    assert len({s.inputs["availabilityZone"] for s in stack_plan("prod").of_type("aws:ec2/subnet:Subnet")}) == 3


def test_config_values_arrive_as_the_cli_passes_them():
    config = engine.stack_config("dev")
    assert config["shipyard:ecs"]["capacity"] == "fargateSpot"
    assert config["aws:region"] == "us-east-1"


def test_secure_values_become_offline_placeholders(tmp_path):
    for item in ("__main__.py", "Pulumi.yaml", "components", "shipyard"):
        os.symlink(PROJECT / item, tmp_path / item)
    (tmp_path / "Pulumi.ext.yaml").write_text(
        "config:\n  shipyard:kubernetes:\n    kubeconfig:\n      secure: v1:abc\n")
    raw = engine.stack_config("ext", tmp_path)
    assert raw["shipyard:kubernetes"]["kubeconfig"] == {"secure": "v1:abc"}
    plan = engine.run("ext", root=tmp_path)
    provider = plan.one("pulumi:providers:kubernetes")
    assert isinstance(provider.inputs["kubeconfig"], engine.Secret)
    assert provider.inputs["kubeconfig"].value == engine.OFFLINE_KUBECONFIG


def test_plan_prints_a_tree_with_settings_and_a_count(capsys):
    assert main(["plan", "dev"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Stack dev: pulumi up would create")
    assert "  + shipyard:network:Network shipyard-dev" in out
    assert '      + aws:ec2/vpc:Vpc shipyard-dev  cidrBlock="10.0.0.0/16"' in out
    assert f"{len(engine.run('dev').resources)} resources (" in out


def test_plan_json_has_every_resource(capsys):
    assert main(["plan", "dev", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["resourceCount"] == len(document["resources"]) == len(engine.run("dev").resources)
    assert {r["type"] for r in document["resources"]} >= {"aws:ec2/vpc:Vpc", "aws:ecs/cluster:Cluster"}


def test_bad_config_prints_the_problems_and_exits_2(tmp_path, capsys):
    for item in ("__main__.py", "Pulumi.yaml", "components", "shipyard"):
        os.symlink(PROJECT / item, tmp_path / item)
    (tmp_path / "Pulumi.broken.yaml").write_text(
        "config:\n  shipyard:network:\n    availabilityZones: 9\n  shipyard:ecss: {}\n")
    assert main(["plan", "broken", "-C", str(tmp_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["broken: invalid stack config",
                   "  shipyard:network.availabilityZones: input should be less than or equal to 6",
                   "  shipyard:ecss: unknown key; did you mean 'ecs'?"]


def test_the_cli_runs_as_a_module_without_a_traceback():
    result = subprocess.run([sys.executable, "-m", "shipyard", "plan", "missing"], cwd=PROJECT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "no stack file Pulumi.missing.yaml" in result.stderr
