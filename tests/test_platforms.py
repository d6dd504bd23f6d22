"""The platform registry's contract: every member of every platform is there and used.

Each test is parametrized by platform, so a platform that leaves a member out fails a test that
names both (CONTRIBUTING.md: adding a platform).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import yaml
from pydantic import BaseModel

from shipyard import engine, lifecycle
from shipyard.config.schema import Service, StackConfig
from shipyard.config.types import ARCHITECTURES, Autoscaling
from shipyard.platforms import NAMES, PLATFORMS, base, with_capability
from tests.conftest import PROJECT

WORKED_EXAMPLE = PROJECT / "examples" / "two-service-app"


def _example(name: str):
    return WORKED_EXAMPLE / f"Pulumi.{name}.yaml"


@pytest.fixture(scope="module")
def example_plans() -> dict[str, engine.Plan]:
    return {name: engine.run(name, stack_file=_example(name)) for name in NAMES}


def test_the_registry_lists_each_platform_once_under_its_own_name():
    assert list(PLATFORMS) == [p.name for p in PLATFORMS.values()] == list(NAMES)
    assert set(NAMES) == {"ecs", "eks", "kubernetes", "nomad"}


def test_run_on_takes_exactly_the_registered_platforms():
    api = {"name": "api", "image": "ghcr.io/acme/api:1.0"}
    assert Service.model_validate({**api, "runOn": list(NAMES)}).run_on == list(NAMES)
    with pytest.raises(ValueError, match="'ecs', 'eks', 'kubernetes' or 'nomad'"):
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
def test_every_type_a_platform_registers_has_its_facts(name, example_plans):
    planned = {r.type for r in example_plans[name].resources if r.custom}
    assert planned and planned - set(lifecycle.FACTS) == set()


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
    assert with_capability("secrets_at_deploy") == ("eks", "kubernetes", "nomad")
    assert with_capability("domains") == ("ecs", "eks")


def test_needs_network_follows_the_platforms_in_the_vpc():
    for name in NAMES:
        config = StackConfig.model_validate(_shipyard_keys(name))
        assert config.needs_network is PLATFORMS[name].in_vpc


def test_an_ecs_only_plan_imports_no_kubernetes_sdk():
    """Only an enabled platform's deploy module, and so its provider SDK, is imported."""
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from shipyard import engine
        engine.run("ecs", stack_file=Path({str(_example('ecs'))!r}))
        print(sorted({{m.split('.')[0] for m in sys.modules if m.startswith('pulumi_')}}))
    """)
    loaded = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, check=True,
                            capture_output=True, text=True).stdout.strip()
    assert loaded == "['pulumi_aws', 'pulumi_docker_build']"


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
