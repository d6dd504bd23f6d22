"""The platform registry's contract: every member of every platform is there and used.

Each test is parametrized by platform, so a platform that leaves a member out fails a test that
names both (CONTRIBUTING.md: adding a platform).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import threading

import pytest
import yaml
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockResourceArgs
from pydantic import BaseModel

from shipyard.config.schema import Service, StackConfig
from shipyard.config.types import ARCHITECTURES, Autoscaling
from shipyard.platforms import NAMES, PLATFORMS, base, resource_facts, with_capability
from shipyard.review import engine, graph
from shipyard.review.mocks import ShipyardMocks
from shipyard.review.resource_facts import ResourceFacts
from tests.conftest import PROJECT, SHIPPED_STACKS

WORKED_EXAMPLE = PROJECT / "examples" / "two-service-app"


def _example(name: str):
    return WORKED_EXAMPLE / f"Pulumi.{name}.yaml"


@pytest.fixture(scope="module")
def example_plans() -> dict[str, engine.Plan]:
    return {name: engine.run(name, stack_file=_example(name)) for name in NAMES}


def test_the_registry_lists_each_platform_once_under_its_own_name():
    assert list(PLATFORMS) == [p.name for p in PLATFORMS.values()] == list(NAMES)
    assert set(NAMES) == {"ecs", "eks", "kubernetes", "swarm", "nomad"}


def test_run_on_takes_exactly_the_registered_platforms():
    api = {"name": "api", "image": "ghcr.io/acme/api:1.0"}
    assert Service.model_validate({**api, "runOn": list(NAMES)}).run_on == list(NAMES)
    with pytest.raises(ValueError, match="'ecs', 'eks', 'kubernetes', 'swarm' or 'nomad'"):
        Service.model_validate({**api, "runOn": ["mesos"]})


@pytest.mark.parametrize("name", NAMES)
def test_platform_has_its_section(name):
    section = PLATFORMS[name].hook("spec").Section
    assert issubclass(section, BaseModel)
    assert StackConfig.model_fields[name].annotation is section  # shipyard:<name>
    assert StackConfig.model_fields[name].description
    assert all(field.description for field in section.model_fields.values())
    assert section.model_fields["enabled"].annotation is bool  # `shipyard:<name>.enabled`
    assert section().enabled is False                            # off unless the stack asks
    if PLATFORMS[name].autoscaling:
        assert section.model_fields["autoscaling"].annotation is Autoscaling


@pytest.mark.parametrize("name", NAMES)
def test_platform_has_its_controls_and_check_runs_them(name):
    from shipyard.review.controls import CONTROLS
    own = PLATFORMS[name].hook("controls").CONTROLS
    assert own and set(own) <= set(CONTROLS)


@pytest.mark.parametrize("name", NAMES)
def test_platform_draws_itself_in_the_picture(name, example_plans):
    from shipyard.review.traffic import Reader
    groups, nodes, flows = PLATFORMS[name].hook("traffic").picture(Reader(example_plans[name]), None)
    if name == "eks":  # EKS's workloads are KubernetesTargets: the kubernetes hook draws them
        assert (groups, nodes, flows) == ([], [], [])
    else:
        assert {g.kind for g in groups} == {name} and nodes


@pytest.mark.parametrize("name", NAMES)
def test_platform_has_its_rules(name):
    rules = PLATFORMS[name].hook("rules")
    assert rules.RULES and all(callable(rule) for rule in rules.RULES)


@pytest.mark.parametrize("name", NAMES)
def test_platform_says_what_its_capacity_runs(name, example_plans):
    config = StackConfig.model_validate(_shipyard_keys(name))
    capacity = PLATFORMS[name].hook("capacity")
    assert set(capacity.capacity(config)) <= set(ARCHITECTURES)
    assert set(capacity.build_architectures(config)) <= set(capacity.capacity(config))


@pytest.mark.parametrize("name", NAMES)
def test_platform_deploys_its_worked_example(name, example_plans):
    """The worked example runs on every platform: both services, and only this platform."""
    plan = example_plans[name]
    assert callable(PLATFORMS[name].hook("deploy").deploy)
    config = StackConfig.model_validate(_shipyard_keys(name))
    assert config.enabled_platforms() == [name]
    assert [s.name for s in config.services] == ["web", "api"]
    assert len([r for r in plan.resources if r.custom]) > 0


@pytest.mark.parametrize("name", NAMES)
def test_platform_has_its_facts_rows(name):
    """Its own rows (shipyard/platforms/<name>/facts.py), none repeating a shared one."""
    rows = PLATFORMS[name].hook("facts").FACTS
    assert rows and all(isinstance(row, ResourceFacts) for row in rows.values())
    assert all(resource_facts()[resource_type] is row for resource_type, row in rows.items())


def _registered_types(plan: engine.Plan) -> set[str]:
    return {r.type for r in plan.resources if not r.type.startswith("shipyard:")}


@pytest.mark.parametrize("name", NAMES)
def test_every_type_a_platform_registers_has_its_facts(name, example_plans):
    planned = _registered_types(example_plans[name])
    missing = sorted(planned - set(resource_facts()))
    assert planned and missing == [], (
        f"{name} registers {', '.join(missing)} without a facts row: add it to "
        f"shipyard/platforms/{name}/facts.py (shipyard/review/resource_facts.py says where)")


def _missing_members(resource_type: str, row: ResourceFacts) -> list[str]:
    missing = []
    if row.graph_class not in graph.FILL:
        missing.append(f"graph_class (one of {', '.join(graph.FILL)}), not {row.graph_class!r}")
    if not row.source:
        missing.append("source (where its lifecycle facts come from)")
    if resource_type.startswith(("aws:", "eks:")) and row.name_rule is None:
        missing.append("name_rule (a NameRule, FromBotocore, or NAMELESS)")
    return missing


@pytest.mark.parametrize("name", NAMES)
def test_every_row_a_platform_plans_has_the_members_the_tools_read(name, example_plans):
    rows = resource_facts()
    lacking = {t: _missing_members(t, rows[t]) for t in sorted(_registered_types(
        example_plans[name]) | set(PLATFORMS[name].hook("facts").FACTS))}
    assert {t: members for t, members in lacking.items() if members} == {}, (
        f"{name}: facts rows lack members")


UNANSWERED = "unanswered-output:"


def _flag_unanswered_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolve every output the mocks do not answer to `unanswered-output:<type>.<output>`
    instead of None, so a program that reads one records it in some input (or fails)."""
    resolve_outputs, resolve_properties = rpc.resolve_outputs, rpc.resolve_properties
    current = threading.local()

    def outputs_of(res, *args, **kwargs):
        current.type = res._type
        return resolve_outputs(res, *args, **kwargs)

    def properties(resolvers, answered, *args, **kwargs):
        unanswered = {key: f"{UNANSWERED}{current.type}.{key}" for key in resolvers
                      if key not in answered and key not in ("urn", "id")}
        return resolve_properties(resolvers, {**answered, **unanswered}, *args, **kwargs)

    monkeypatch.setattr(rpc, "resolve_outputs", outputs_of)
    monkeypatch.setattr(rpc, "resolve_properties", properties)


@pytest.mark.parametrize("name", [*NAMES, *(f"stack:{stack}" for stack in SHIPPED_STACKS)])
def test_the_mocks_answer_every_output_the_program_reads(name, monkeypatch):
    """A facts row whose type's outputs the program reads has them (`outputs`, `arn`, ids):
    each platform's worked example and each shipped stack, with unanswered outputs flagged."""
    _flag_unanswered_outputs(monkeypatch)
    stack = name.removeprefix("stack:")
    try:
        plan = engine.run(stack, stack_file=None if name.startswith("stack:") else _example(name))
    except Exception as error:  # a flagged output read as JSON, a number, ...
        pytest.fail(f"{name}: the plan fails once outputs the mocks do not answer are flagged "
                    f"({error}): a type it registers needs `outputs` in its facts row")
    read = sorted({match for r in plan.resources
                   for match in re.findall(UNANSWERED + r"[^\"\s]+", json.dumps(r.inputs, default=str))})
    assert read == [], f"{name} reads outputs no facts row's mock answers: give them `outputs`"


@pytest.mark.parametrize("name", NAMES)
def test_platform_has_bad_input_cases(name):
    cases = yaml.safe_load((PROJECT / "tests" / "bad_input" / f"{name}.yaml").read_text())
    assert any(f"shipyard:{name}" in case["error"] for case in cases), (
        f"tests/bad_input/{name}.yaml has no case of a bad shipyard:{name} key")


@pytest.mark.parametrize("name", NAMES)
def test_platform_is_in_the_picture_and_the_docs(name):
    platform = PLATFORMS[name]
    assert isinstance(platform.picture, base.Picture) and platform.picture.legend
    assert f"shipyard:{name}" in (PROJECT / "README.md").read_text()


def test_capabilities_are_read_from_the_registry():
    assert with_capability("in_vpc") == ("ecs", "eks")
    assert with_capability("secrets_at_deploy") == ("eks", "kubernetes", "swarm", "nomad")
    assert with_capability("domains") == ("ecs", "eks")
    assert with_capability("autoscaling") == ("ecs", "eks", "kubernetes", "nomad")


def test_needs_network_follows_the_platforms_in_the_vpc():
    for name in NAMES:
        config = StackConfig.model_validate(_shipyard_keys(name))
        assert config.needs_network is PLATFORMS[name].in_vpc


@pytest.mark.parametrize("name, sdks", [
    ("ecs", "['pulumi_aws', 'pulumi_docker_build']"),
    ("swarm", "['pulumi_aws', 'pulumi_docker', 'pulumi_docker_build']"),
])
def test_a_single_platform_plan_imports_no_other_platforms_sdk(name, sdks):
    """Only an enabled platform's deploy module, and so its provider SDK, is imported."""
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from shipyard.review import engine
        engine.run({name!r}, stack_file=Path({str(_example(name))!r}))
        print(sorted({{m.split('.')[0] for m in sys.modules if m.startswith('pulumi_')}}))
    """)
    loaded = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, check=True,
                            capture_output=True, text=True).stdout.strip()
    assert loaded == sdks


def _shipyard_keys(name: str) -> dict:
    config = yaml.safe_load(_example(name).read_text())["config"]
    return {key.split(":", 1)[1]: value for key, value in config.items()
            if key.startswith("shipyard:")}


@pytest.mark.parametrize("section, enabled", [
    ({"context": "my-cluster"}, True),
    ({"kubeconfig": "apiVersion: v1"}, True),
    ({"enabled": True}, True),                               # the deployer's current context
    ({"enabled": False, "context": "my-cluster"}, False),
    ({}, False),
])
def test_kubernetes_enabled_is_a_key_like_every_platforms(section, enabled):
    """`shipyard:kubernetes.enabled: true` was rejected as an unknown key (a property)."""
    assert StackConfig.model_validate({"kubernetes": section}).kubernetes.enabled is enabled


def test_a_type_has_one_row(monkeypatch):
    """A platform's facts repeating a shared row is an error naming its file and the type."""
    ecs_facts = PLATFORMS["ecs"].hook("facts")
    monkeypatch.setitem(ecs_facts.FACTS, "aws:ec2/vpc:Vpc", ResourceFacts("network"))
    with pytest.raises(ValueError, match=r"shipyard/platforms/ecs/facts.py repeats the rows "
                       r"of aws:ec2/vpc:Vpc"):
        resource_facts.__wrapped__()  # collected afresh; the cached table stays as it is


def test_the_mocks_refuse_a_type_without_a_row():
    mocks = ShipyardMocks("us-east-1", "dev", "shipyard")
    with pytest.raises(NotImplementedError, match="aws:mq/broker:Broker has no facts row"):
        mocks.new_resource(MockResourceArgs(typ="aws:mq/broker:Broker", name="queue", inputs={},
                                            provider=None, resource_id=None))
