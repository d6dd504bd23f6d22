"""The CrossGuard policy pack in policy/: one stack policy per control, running the same rule as
`check`, fed with the objects the Policy SDK hands a pack during `pulumi preview`."""

from __future__ import annotations

import runpy
import sys
from typing import Sequence

import pulumi_policy
import pytest
import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
)

from shipyard.review import check, controls
from shipyard.review.controls import CONTROL_IDS, CONTROLS
from tests.conftest import PROJECT
from tests.control_cases import CASES

sys.path.insert(0, str(PROJECT / "policy"))
import shipyard_pack  # noqa: E402  (policy/shipyard_pack.py, as the pack imports it)


def policy_resources(resources: Sequence[controls.Resource]) -> list[PolicyResource]:
    """Resources as the Policy SDK builds them for a stack policy (dependencies as objects)."""
    built = {r.urn: PolicyResource(
        r.type, r.inputs, r.urn, r.name,
        PolicyResourceOptions(r.protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None),
        None, None, [], {}) for r in resources}
    for r in resources:
        built[r.urn].dependencies.extend(built[u] for u in r.depends_on if u in built)
    return list(built.values())


def violations(control: controls.Control, resources: Sequence[controls.Resource],
               root=PROJECT) -> list[tuple[str, str]]:
    reported: list[tuple[str, str]] = []
    policy = shipyard_pack.policy(control, root)
    policy.validate(StackValidationArgs(policy_resources(resources)),
                    lambda message, urn=None: reported.append((message, urn)))
    return reported


@pytest.mark.parametrize("control", CONTROLS, ids=CONTROL_IDS)
def test_policy_allows_the_passing_case_and_reports_the_failing_one(control):
    good, bad = CASES[control.id]
    assert violations(control, good) == []
    reported = violations(control, bad)
    failing = [f for f in control.evaluate(bad) if not f.passed]
    assert reported == [(f"{control.id} {f.resource}: {f.reason}", f.urn) for f in failing]


def test_the_pack_registers_one_mandatory_policy_per_control(monkeypatch):
    registered = {}
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: registered.update(kwargs))
    runpy.run_path(str(PROJECT / "policy" / "__main__.py"), run_name="__main__")
    assert registered["name"] == "shipyard-security"
    assert registered["enforcement_level"] is EnforcementLevel.MANDATORY
    assert [p.name for p in registered["policies"]] == [c.policy_name for c in CONTROLS]
    assert registered["policies"][0].description == "ECR.1: ECR repositories scan images on push"


def test_policy_names_follow_the_control_ids():
    assert [c.policy_name for c in CONTROLS][:3] == ["ecr-1", "ecr-2", "ecr-3"]
    assert [c.policy_name for c in CONTROLS][-6:] == [
        "pss-restricted", "swarm-1", "swarm-2", "swarm-3", "swarm-4", "nomad-hardened"]


def test_the_pack_runs_with_the_projects_virtualenv():
    project = yaml.safe_load((PROJECT / "policy" / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": "../venv"}}
    assert (PROJECT / "policy" / project["runtime"]["options"]["virtualenv"]).resolve() == (
        PROJECT / "venv").resolve()
    requirements = (PROJECT / "requirements.txt").read_text()
    assert "pulumi-policy>=" in requirements


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_pack_finds_nothing_in_the_shipped_stacks(stack, stack_plan):
    resources = check.resources_of(stack_plan(stack))
    assert [v for c in CONTROLS for v in violations(c, resources)] == []


def test_the_pack_reads_waivers_from_the_stack_file(stack_plan, tmp_path):
    resources = check.resources_of(stack_plan("dev"))
    assert shipyard_pack.stack_name(resources[0].urn) == "dev"
    assert shipyard_pack.waivers(resources) == check.stack_waivers("dev")
    # A checkout without Pulumi.dev.yaml: nothing is waived, and dev's failures are reported.
    unwaived = {c.id for c in CONTROLS if violations(c, resources, root=tmp_path)}
    assert unwaived == {"ELB.1", "ELB.5", "ELB.6"}


def test_a_value_unknown_during_preview_is_not_a_violation():
    """The SDK turns UnknownValueError into an advisory "can't run during preview" note; a
    policy must not report a violation for a value it cannot see yet."""
    from pulumi_policy.proxy import (
        UNKNOWN_STRING_VALUE,
        UnknownValueError,
        unknown_checking_proxy,
    )
    task = controls.Resource("urn:pulumi:test::shipyard::aws:ecs/taskDefinition:TaskDefinition::api",
                             "aws:ecs/taskDefinition:TaskDefinition", "api",
                             unknown_checking_proxy({"networkMode": "awsvpc",
                                                     "containerDefinitions": UNKNOWN_STRING_VALUE}))
    ecs_5 = next(c for c in CONTROLS if c.id == "ECS.5")
    with pytest.raises(UnknownValueError):
        violations(ecs_5, [task])


def test_the_pack_imports_shipyard_from_any_working_directory(tmp_path):
    """Pulumi starts the pack in its own folder: __main__.py must find `shipyard` by itself."""
    import subprocess
    probe = ("import runpy, pulumi_policy\n"
             "pulumi_policy.PolicyPack = lambda **pack: print(len(pack['policies']))\n"
             f"runpy.run_path({str(PROJECT / 'policy' / '__main__.py')!r}, run_name='__main__')\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(len(CONTROLS))
