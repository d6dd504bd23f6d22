"""Names AWS accepts: every physical name in every shipped and generated plan fits its rule
(shipyard/aws/names.py), the stack name is checked, and the shipped stacks never claim the same
account- or region-wide name, so they deploy side by side."""

from __future__ import annotations

import os
from collections import defaultdict

import pytest

from shipyard.aws import names as aws_names
from shipyard.cli import main
from shipyard.config import ConfigError
from shipyard.platforms import resource_facts
from shipyard.review import engine
from tests.conftest import PROJECT, SHIPPED_STACKS, run_shipyard

NAME_RULE_MISSING = "give the type's facts row a name_rule (or NAMELESS)"
LONG_STACK = "a" + "b" * (aws_names.STACK_NAME_MAX - 2) + "c"
LONG_SERVICE = "s" + "x" * 61 + "z"
LONG_GROUP = "n" + "g" * 38 + "p"
LONG_REPOSITORY = "team/" + "r" * 250
# The longest a service can run from: ECS takes image references of at most 255 characters
# (<account>.dkr.ecr.us-east-1.amazonaws.com/ is 46 of them, ":1" two more).
LONG_ECS_REPOSITORY = LONG_REPOSITORY[:255 - 46 - 2]
SECRET = "arn:aws:ssm:us-east-1:123456789012:parameter/app/token"


def long_names_config(capacity: str) -> dict:
    return {
        "ecr": {"repositories": [{"name": LONG_REPOSITORY}, {"name": LONG_ECS_REPOSITORY}]},
        "ecs": {"enabled": True, "capacity": capacity,
                **({"ec2": {"instanceType": "m6i.xlarge"}} if capacity == "ec2" else {}),
                "loadBalancer": {"accessLogs": True, "managedWebAcl": True}},
        "eks": {"enabled": True, "publicAccessCidrs": ["203.0.113.0/24"],
                "nodeGroups": [{"name": LONG_GROUP},
                               {"name": LONG_GROUP[:-1] + "q", "type": "selfManaged"}],
                "fargateProfiles": [{"name": "f" * 63, "namespaces": ["batch"]}]},
        "services": [
            {"name": LONG_SERVICE, "repository": LONG_ECS_REPOSITORY, "tag": "1", "public": True,
             "secrets": {"TOKEN": SECRET}},
            {"name": LONG_SERVICE[:-1] + "y", "image": "nginx:1.27", "public": True,
             "path": "/y/*"}],
    }


def generated_plans() -> list[engine.Plan]:
    return [run_shipyard(long_names_config("ec2"), stack=LONG_STACK),
            run_shipyard(long_names_config("fargateSpot"), stack="x"),
            run_shipyard({"eks": {"enabled": True, "publicAccessCidrs": ["203.0.113.0/24"],
                                  "fargateProfiles": [{"name": "web", "namespaces": ["apps"]}]},
                          "network": {"natGateways": "none", "vpcEndpoints": True}},
                         stack=LONG_STACK)]


def name_problems(plan: engine.Plan) -> list[str]:
    return [problem for r in plan.resources
            for problem in aws_names.name_problems(r.type, r.name, r.inputs)]


def unknown_types(plan: engine.Plan) -> set[str]:
    """AWS types whose facts row says neither their name rule nor that they have no name."""
    table = resource_facts()
    return {r.type for r in plan.resources if r.custom and r.type.startswith(("aws:", "eks:"))
            and (r.type not in table or table[r.type].name_rule is None)}


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_name_in_a_shipped_stack_is_one_aws_accepts(stack, stack_plan):
    plan = stack_plan(stack)
    assert name_problems(plan) == []
    assert unknown_types(plan) == set(), NAME_RULE_MISSING


@pytest.mark.parametrize("stack_file", sorted(PROJECT.glob("examples/*/Pulumi.*.yaml")),
                         ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_name_in_a_shipped_example_is_one_aws_accepts(stack_file):
    plan = engine.run(stack_file.name[len("Pulumi."):-len(".yaml")], stack_file=stack_file)
    assert name_problems(plan) == []
    assert unknown_types(plan) == set(), NAME_RULE_MISSING


def test_every_name_in_generated_stacks_with_the_longest_names_is_one_aws_accepts():
    for plan in generated_plans():
        assert name_problems(plan) == []
        assert unknown_types(plan) == set(), NAME_RULE_MISSING


def test_the_rules_come_from_botocore_where_it_has_them():
    rules = aws_names.rules()
    assert rules["aws:iam/role:Role"].max_length == 64
    assert rules["aws:iam/role:Role"].source == "botocore iam CreateRole.RoleName"
    assert rules["eks:index:Cluster"].max_length == 100
    assert rules["aws:lb/loadBalancer:LoadBalancer"].problems("prod_eu-0a1b2c3") == [
        "does not match [A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"]
    assert rules["aws:kms/alias:Alias"].problems("alias/aws/x") == ["must not start with 'alias/aws/'"]


def test_auto_named_resources_are_checked_with_pulumis_suffix():
    assert aws_names.physical_name("aws:iam/role:Role", "api-task", {}) == "api-task-0a1b2c3"
    assert aws_names.physical_name("aws:ecs/cluster:Cluster", "x", {"name": "given"}) == "given"


@pytest.mark.parametrize("stack", ["prod_eu", "prod.eu", "-dev", "Prod",
                                   "x" * (aws_names.STACK_NAME_MAX + 1)])
def test_stack_names_aws_names_cannot_carry_are_config_errors(stack):
    with pytest.raises(ConfigError) as error:
        run_shipyard({"ecs": {"enabled": True}}, stack=stack)
    assert error.value.problems == [
        f"stack name '{stack}': use at most {aws_names.STACK_NAME_MAX} lowercase letters, "
        "digits and '-' (not first or last): it prefixes AWS names such as the load balancer's "
        "and the log bucket's, which allow nothing else (e.g. prod-eu, not prod_eu)"]
    assert error.value.registered == ()


def test_a_bad_stack_name_exits_2_without_a_traceback(tmp_path, capsys):
    for item in ("__main__.py", "Pulumi.yaml", "components", "shipyard"):
        os.symlink(PROJECT / item, tmp_path / item)
    (tmp_path / "Pulumi.prod_eu.yaml").write_text("config:\n  shipyard:ecs:\n    enabled: true\n")
    assert main(["plan", "prod_eu", "-C", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "stack name 'prod_eu': use at most" in err and "Traceback" not in err


def test_shipped_stacks_deploy_side_by_side_in_one_account_and_region(stack_plan):
    """Two stacks may not create the same account-wide (IAM) or region-wide name. Auto-named
    resources get a random suffix per stack, so only explicit names can collide."""
    claimed: dict[tuple[str, str], list[str]] = defaultdict(list)
    for stack in SHIPPED_STACKS:
        plan = stack_plan(stack)
        for resource in plan.resources:
            rule = aws_names.rules().get(resource.type)
            name = aws_names.explicit_name(resource.type, resource.inputs)
            if rule is None or name is None or rule.scope == "parent":
                continue
            where = "account" if rule.scope == "account" else plan.region
            claimed[(resource.type, f"{where}/{name}")].append(stack)
    collisions = {key: stacks for key, stacks in claimed.items() if len(stacks) > 1}
    assert collisions == {}
