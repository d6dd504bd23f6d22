"""No perpetual diff, no surprise replacement: for each shipped stack, a second plan with one
setting changed touches only the resources that setting concerns, and replaces only what the
docs/lifecycle.md's "What forces a replacement" lists (shipyard/review/lifecycle.py)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, Callable, Optional

import pytest

from shipyard.review import diff, engine, lifecycle
from shipyard.review import plan as plan_view

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
     # a new revision, by design; the service rolls to it (its taskDefinition input comes from
     # the replaced revision, so diff lists it as updated, as `pulumi preview` would)
     {"aws:ecs/taskDefinition:TaskDefinition api": "replaced",
      "aws:ecs/service:Service api": "updated"}),
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
    """EKS cannot move a managed node group to new subnets (docs/lifecycle.md: What forces a replacement)."""
    touched = summary(changes_after(
        "prod", set_in("shipyard:network", "availabilityZones", value=4), stack_plan))
    assert {key for key, kind in touched.items() if kind == "replaced"} == {
        "eks:index:ManagedNodeGroup shipyard-<stack>-general"}
    assert {key for key, kind in touched.items() if kind == "removed"} == set()


def test_the_diff_view_names_what_gets_replaced(stack_plan):
    config = copy.deepcopy(engine.stack_config("prod"))
    config["shipyard:network"]["cidrBlock"] = "10.30.0.0/16"
    changes = diff.compare(document(stack_plan("prod")), document(engine.run("prod", config=config)))
    text = diff.render(changes, "prod", "prod (new CIDR)")
    assert "~ aws:ec2/vpc:Vpc shipyard-<stack>  (replaced: cidrBlock cannot change in place)" in text


# --- The change matrix: the config changes users make, from each shipped stack -----------------
#
# Each case plans the shipped stack, applies one change, plans again, and asserts what `pulumi
# up` would replace (and why, as `diff` shows it), that the new plan keeps every lifecycle rule
# (shipyard/review/lifecycle.py), that nothing others rely on is lost without an explicit step, and
# that AWS would accept each in-place update.

def append_to(key: str, *path: Any, value: Any) -> Callable[[Config], None]:
    def change(config: Config) -> None:
        target = config[key]
        for part in path:
            target = target[part]
        target.append(value)
    return change


def remove_from(key: str, *path: Any, index: int) -> Callable[[Config], None]:
    def change(config: Config) -> None:
        target = config[key]
        for part in path:
            target = target[part]
        del target[index]
    return change


def both(*changes: Callable[[Config], None]) -> Callable[[Config], None]:
    def change(config: Config) -> None:
        for one in changes:
            one(config)
    return change


def rename_service(index: int, name: str) -> Callable[[Config], None]:
    def change(config: Config) -> None:
        services = config["shipyard:services"]
        old = services[index]["name"]
        services[index]["name"] = name
        for service in services:
            service["calls"] = [name if c == old else c for c in service.get("calls", [])]
    return change


def use_web_acl_arn(config: Config) -> None:
    load_balancer = config["shipyard:ecs"]["loadBalancer"]
    del load_balancer["managedWebAcl"]
    load_balancer["webAclArn"] = ("arn:aws:wafv2:us-east-1:123456789012:regional/webacl/edge/"
                                  "a1b2c3d4-5678-90ab-cdef-0123456789ab")


def add_domain(config: Config) -> None:
    config["shipyard:dns"] = {"zone": "shop.example.com"}
    config["shipyard:services"][0]["domain"] = "dev.shop.example.com"


def remove_domain(config: Config) -> None:
    del config["shipyard:dns"], config["shipyard:services"][0]["domain"]


def fargate_capacity(config: Config) -> None:
    config["shipyard:ecs"]["capacity"] = "fargate"
    del config["shipyard:ecs"]["onDemandBase"]   # a Fargate Spot setting


SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:shared/api-key-AbCdEf"
DIGEST = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api@sha256:" + "ab" * 32
FARGATE_JOBS = {"name": "jobs", "namespaces": ["jobs"]}


@dataclass(frozen=True)
class Case:
    stack: str
    label: str
    change: Callable[[Config], None]
    replaced: frozenset[str] = frozenset()     # `type name` of what `pulumi up` replaces
    touched: frozenset[str] = frozenset()      # must be among the updated resources
    # What a delete would lose that docs/lifecycle.md documents as the price of this change.
    documented_losses: frozenset[str] = frozenset()
    base: Optional[Callable[[Config], None]] = None   # the stack before the change, if not shipped


TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition"
ECS_SERVICE = "aws:ecs/service:Service"
MANAGED_GROUP = "eks:index:ManagedNodeGroup"
PROFILE = "aws:eks/fargateProfile:FargateProfile"

MATRIX = [
    # every `pulumi config set` the docs show
    Case("dev", "README: ecs.capacity fargateSpot -> fargate", fargate_capacity,
         touched=frozenset({f"{ECS_SERVICE} api"})),
    Case("prod", "README: services[0].tag", set_in("shipyard:services", 0, "tag", value="1.4.3"),
         replaced=frozenset({f"{TASK_DEF} api"}),
         touched=frozenset({"kubernetes:apps/v1:Deployment eks-api"})),
    Case("prod", "README: services[0].image by digest", both(
        set_in("shipyard:services", 0, "image", value=DIGEST),
        lambda config: [config["shipyard:services"][0].pop(key, None)
                        for key in ("repository", "tag")]),
         replaced=frozenset({f"{TASK_DEF} api"}),
         touched=frozenset({"kubernetes:apps/v1:Deployment eks-api"})),
    # registries: a new lifecycle policy replaces the old one, which is deleted first (its
    # delete would clear the new one: shipyard/review/lifecycle.py)
    Case("prod", "ECR keepLastImages 100 -> 50",
         set_in("shipyard:ecr", "repositories", 0, "keepLastImages", value=50),
         replaced=frozenset({"aws:ecr/lifecyclePolicy:LifecyclePolicy shop-api-lifecycle"})),
    # capacity
    Case("dev", "onDemandBase 0 -> 1", set_in("shipyard:ecs", "onDemandBase", value=1),
         touched=frozenset({f"{ECS_SERVICE} api"})),
    Case("dev", "Fargate Spot -> EC2 instances", both(
        fargate_capacity, set_in("shipyard:ecs", "capacity", value="ec2")),
         replaced=frozenset({f"{TASK_DEF} api"}), touched=frozenset({f"{ECS_SERVICE} api"})),
    # network
    Case("dev", "2 -> 3 zones", set_in("shipyard:network", "availabilityZones", value=3)),
    Case("dev", "one NAT gateway -> one per zone",
         set_in("shipyard:network", "natGateways", value="perAz")),
    # WAF and domains
    Case("prod", "managed web ACL -> own web ACL", use_web_acl_arn,
         replaced=frozenset({"aws:wafv2/webAclAssociation:WebAclAssociation shipyard-<stack>-waf"})),
    # The service's rule moves from the HTTP listener to the HTTPS one (a new rule on another
    # listener: no collision).
    Case("dev", "a domain added", add_domain,
         replaced=frozenset({"aws:lb/listenerRule:ListenerRule api-route"})),
    Case("dev", "a domain removed", remove_domain, base=add_domain,
         replaced=frozenset({"aws:lb/listenerRule:ListenerRule api-route"})),
    # node groups and Fargate profiles
    Case("staging", "node group added", append_to(
        "shipyard:eks", "nodeGroups", value={"name": "spare", "instanceTypes": ["m6i.large"]})),
    Case("prod", "node group removed", remove_from("shipyard:eks", "nodeGroups", index=1)),
    Case("staging", "node group resized", set_in("shipyard:eks", "nodeGroups", 0, "maxSize", value=6),
         touched=frozenset({f"{MANAGED_GROUP} shipyard-<stack>-general"})),
    Case("staging", "node group re-typed",
         set_in("shipyard:eks", "nodeGroups", 0, "instanceTypes", value=["m6i.large"]),
         replaced=frozenset({f"{MANAGED_GROUP} shipyard-<stack>-general"})),
    Case("staging", "Fargate profile namespaces",
         set_in("shipyard:eks", "fargateProfiles", 0, "namespaces", value=["jobs", "cron"]),
         replaced=frozenset({f"{PROFILE} shipyard-<stack>-fargate-jobs"}),
         base=set_in("shipyard:eks", "fargateProfiles", value=[FARGATE_JOBS])),
    Case("staging", "Kubernetes 1.34 -> 1.35", set_in("shipyard:eks", "version", value="1.35"),
         touched=frozenset({"eks:index:Cluster shipyard-<stack>",
                            f"{MANAGED_GROUP} shipyard-<stack>-general"}),
         base=set_in("shipyard:eks", "version", value="1.34")),
    # services
    Case("prod", "a service moved off EKS", set_in("shipyard:services", 1, "runOn", value=["ecs"])),
    Case("staging", "a service renamed", rename_service(0, "orders")),
    Case("dev", "a service renamed", rename_service(0, "orders"),
         documented_losses=frozenset({"aws:cloudwatch/logGroup:LogGroup api-logs"})),
    Case("prod", "a service renamed", rename_service(0, "orders")),
    Case("staging", "a service given a secret",
         set_in("shipyard:services", 1, "secrets", value={"API_KEY": SECRET}),
         touched=frozenset({"kubernetes:apps/v1:Deployment eks-web"})),
    Case("dev", "a service given a secret",
         set_in("shipyard:services", 0, "secrets", "API_KEY", value=SECRET),
         replaced=frozenset({f"{TASK_DEF} api"})),
]


def _plan_document(stack: str, change: Optional[Callable[[Config], None]], stack_plan) -> tuple:
    if change is None:
        plan = stack_plan(stack)
    else:
        config = copy.deepcopy(engine.stack_config(stack))
        change(config)
        plan = engine.run(stack, config=config)
    return plan, document(plan)


@pytest.mark.parametrize("case", MATRIX, ids=[f"{c.stack}: {c.label}" for c in MATRIX])
def test_change_matrix(case, stack_plan):
    production = bool(engine.stack_config(case.stack).get("shipyard:production"))
    _, before = _plan_document(case.stack, case.base, stack_plan)

    def changed(config: Config) -> None:
        if case.base:
            case.base(config)
        case.change(config)

    after_plan, after = _plan_document(case.stack, changed, stack_plan)
    changes = diff.compare(before, after)
    touched = summary(changes)
    assert touched, "the change changes nothing"
    assert {key for key, kind in touched.items() if kind == "replaced"} == case.replaced
    assert case.touched <= {key for key, kind in touched.items() if kind == "updated"}
    assert lifecycle.plan_violations(after_plan, production) == []
    # Nothing others rely on goes without an explicit step: protected (pulumi up stops),
    # retained, or a loss docs/lifecycle.md documents for this change.
    losses = {c.key: diff.losses(c) for c in changes if diff.losses(c)}
    assert {key for key, loss in losses.items()
            if not loss.startswith(("protected:", "retained:"))} == case.documented_losses
    # Every in-place update is one AWS accepts.
    assert [p for c in changes if c.before is not diff.MISSING and c.after is not diff.MISSING
            for p in lifecycle.update_problems(c.key.split(" ")[0], c.before["inputs"],
                                               c.after["inputs"])] == []
    # `diff` says what is replaced and why.
    text = diff.render(changes, case.stack, "changed")
    for key in case.replaced:
        assert f"~ {key}  (replaced: " in text


def test_the_diff_refuses_a_kubernetes_upgrade_of_two_minor_versions(stack_plan):
    _, before = _plan_document("staging", set_in("shipyard:eks", "version", value="1.33"), stack_plan)
    _, after = _plan_document("staging", set_in("shipyard:eks", "version", value="1.35"), stack_plan)
    text = diff.render(diff.compare(before, after), "staging", "1.35")
    assert "! refused: version 1.33 -> 1.35: upgrade one minor version per `pulumi up` (1.34 first)" in text


def test_renaming_a_production_service_stops_at_its_protected_log_group(stack_plan):
    _, before = _plan_document("prod", None, stack_plan)
    _, after = _plan_document("prod", rename_service(0, "orders"), stack_plan)
    losses = {c.key: diff.losses(c) for c in diff.compare(before, after) if diff.losses(c)}
    assert losses == {"aws:cloudwatch/logGroup:LogGroup api-logs":
                      "protected: pulumi up stops before deleting the service's logs (kept for "
                      "logRetentionDays otherwise)"}


def test_switching_capacity_updates_the_strategy_with_a_new_deployment(stack_plan):
    changes = changes_after("dev", fargate_capacity, stack_plan)
    [service] = [c for c in changes if c.key == f"{ECS_SERVICE} api"]
    assert {path.split("[")[0] for path, _, _ in service.fields} == {"capacityProviderStrategies"}
    assert service.after["inputs"]["forceNewDeployment"] is True


def test_an_environment_change_is_one_readable_line_and_the_service_rolls(stack_plan):
    """Issue 18: `containerDefinitions` is a JSON string; diff shows the one value that changed
    (as `pulumi preview --diff` does) and lists the ECS service that rolls to the new revision."""
    text = diff.render(changes_after("dev", set_in("shipyard:services", 0, "env", "LOG_LEVEL",
                                                   value="info"), stack_plan), "dev", "dev (info)")
    lines = text.splitlines()
    changed = [line for line in lines if "LOG_LEVEL" in line or '"info"' in line]
    assert changed == ['      containerDefinitions[0].environment[0].value: "debug" → "info"']
    assert max(len(line) for line in lines) < 120
    assert "  ~ aws:ecs/service:Service api" in lines
    assert ("      taskDefinition: (computed) → (computed: aws:ecs/taskDefinition:TaskDefinition"
            " api is replaced)") in lines
