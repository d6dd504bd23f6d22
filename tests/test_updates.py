"""No perpetual diff, no surprise replacement: for each shipped stack, a second plan with one
setting changed touches only the resources that setting concerns, and replaces only what the
README's "What forces a replacement" lists (shipyard/replacements.py)."""

from __future__ import annotations

import copy
import json
from typing import Any, Callable

import pytest

from shipyard import diff, engine, plan as plan_view
from shipyard.replacements import replacing_inputs

Config = dict[str, Any]


def document(plan: engine.Plan) -> dict[str, Any]:
    return json.loads(plan_view.to_json(plan))


def changes_after(stack: str, change: Callable[[Config], None], stack_plan) -> list[diff.Change]:
    config = copy.deepcopy(engine.stack_config(stack))
    change(config)
    return diff.compare(document(stack_plan(stack)), document(engine.run(stack, config=config)))


def summary(changes: list[diff.Change]) -> dict[str, str]:
    """`type name` -> `added`, `removed`, `replaced` or `updated`."""
    return {c.key: "added" if c.before is diff.MISSING else "removed" if c.after is diff.MISSING
            else "replaced" if diff.replacements(c) else "updated" for c in changes}


def add_admin_service(config: Config) -> None:
    config["shipyard:services"] = [*config["shipyard:services"], {
        "name": "admin", "image": "nginx:1.27", "host": "admin.shop.example.com", "public": True,
        "runOn": ["ecs"]}]


def set_in(key: str, *path: Any, value: Any) -> Callable[[Config], None]:
    def change(config: Config) -> None:
        target = config[key]
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    return change


CASES = [
    ("dev", set_in("shipyard:ecs", "autoscaling", "maxReplicas", value=6),
     {"aws:appautoscaling/target:Target api-scaling": "updated"}),
    ("dev", set_in("shipyard:services", 0, "env", "FEATURE", value="on"),
     # a new revision, by design (the service then rolls to it: its ARN is computed)
     {"aws:ecs/taskDefinition:TaskDefinition api": "replaced"}),
    ("staging", set_in("shipyard:services", 0, "env", value={"FEATURE": "on"}),
     {"kubernetes:apps/v1:Deployment eks-api": "updated"}),
    ("prod", set_in("shipyard:network", "flowLogRetentionDays", value=400),
     {"aws:cloudwatch/logGroup:LogGroup shipyard-<stack>-flow-logs": "updated"}),
    ("prod", set_in("shipyard:services", 1, "replicas", value=4),
     {"aws:appautoscaling/target:Target web-scaling": "updated",
      "aws:ecs/service:Service web": "updated",
      "kubernetes:apps/v1:Deployment eks-web": "updated",
      "kubernetes:autoscaling/v2:HorizontalPodAutoscaler eks-web": "updated"}),
]


@pytest.mark.parametrize("stack, change, expected", CASES,
                         ids=[f"{s}-{i}" for i, (s, _, _) in enumerate(CASES)])
def test_one_setting_touches_only_what_it_concerns(stack, change, expected, stack_plan):
    assert summary(changes_after(stack, change, stack_plan)) == expected


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_adding_a_public_service_only_adds(stack, stack_plan):
    touched = summary(changes_after(stack, add_admin_service, stack_plan))
    assert touched and set(touched.values()) == {"added"}


def test_adding_a_zone_replaces_only_the_managed_node_groups(stack_plan):
    """EKS cannot move a managed node group to new subnets (README: What forces a replacement)."""
    touched = summary(changes_after(
        "prod", set_in("shipyard:network", "availabilityZones", value=4), stack_plan))
    assert {key for key, kind in touched.items() if kind == "replaced"} == {
        "eks:index:ManagedNodeGroup shipyard-<stack>-general"}
    assert {key for key, kind in touched.items() if kind == "removed"} == set()


def test_replacement_facts_match_the_provider():
    assert replacing_inputs("aws:ecr/repository:Repository",
                            {"encryptionConfigurations", "imageTagMutability"}) == {
        "encryptionConfigurations"}
    assert replacing_inputs("aws:ec2/subnet:Subnet", {"cidrBlock", "tags"}) == {"cidrBlock"}
    assert replacing_inputs("eks:index:Cluster", {"privateSubnetIds", "version"}) == set()
    assert replacing_inputs("aws:ecs/taskDefinition:TaskDefinition", {"cpu"}) == {"cpu"}


def test_the_diff_view_names_what_gets_replaced(stack_plan):
    config = copy.deepcopy(engine.stack_config("prod"))
    config["shipyard:network"]["cidrBlock"] = "10.30.0.0/16"
    changes = diff.compare(document(stack_plan("prod")), document(engine.run("prod", config=config)))
    text = diff.render(changes, "prod", "prod (new CIDR)")
    assert "~ aws:ec2/vpc:Vpc shipyard-<stack>  (replaced: cidrBlock cannot change in place)" in text
