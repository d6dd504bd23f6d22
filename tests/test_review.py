"""Offline review tools: diff (stack to stack, and against a git ref), cost, graph."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from decimal import Decimal

import pydot
import pytest

from shipyard.cli import main
from shipyard.review import cost, diff, engine, graph
from shipyard.review import plan as plan_view
from tests.conftest import PROJECT, run_shipyard
from tests.test_kubernetes import KUBECONFIG

BASE = {"ecr": {"repositories": [{"name": "api"}, {"name": "web"}]},
        "eks": {"enabled": True, "publicAccessCidrs": ["203.0.113.0/24"],
                "nodeGroups": [{"name": "general", "instanceTypes": ["t3.medium"]}]}}


def document(config: dict, stack: str = "test") -> dict:
    from shipyard.review import plan as plan_view
    return json.loads(plan_view.to_json(run_shipyard(config, stack=stack)))


# --- diff ---------------------------------------------------------------------------------------

def test_identical_configs_have_no_difference():
    assert diff.compare(document(BASE), document(BASE)) == []


def test_the_same_config_in_two_stacks_has_no_difference():
    assert diff.compare(document(BASE, "alpha"), document(BASE, "beta")) == []


def test_a_changed_instance_type_shows_exactly_that_change():
    changed = json.loads(json.dumps(BASE))
    changed["eks"]["nodeGroups"][0]["instanceTypes"] = ["m6i.large"]
    [change] = diff.compare(document(BASE), document(changed))
    assert change.key == "eks:index:ManagedNodeGroup shipyard-<stack>-general"
    assert change.fields == [("instanceTypes[0]", "t3.medium", "m6i.large")]


def test_an_added_node_group_shows_exactly_its_resources():
    added = json.loads(json.dumps(BASE))
    added["eks"]["nodeGroups"].append({"name": "batch"})
    changes = diff.compare(document(BASE), document(added))
    assert all(c.before is diff.MISSING for c in changes)
    assert sorted(c.key.split(" ")[0] for c in changes) == [
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:iam/role:Role", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "eks:index:ManagedNodeGroup",
        "shipyard:eks:EksNodeGroup"]
    assert all("batch" in c.key for c in changes)


def test_a_removed_repository_shows_exactly_its_resources():
    removed = json.loads(json.dumps(BASE))
    removed["ecr"]["repositories"].pop()
    changes = diff.compare(document(BASE), document(removed))
    assert sorted(c.key for c in changes) == [
        "aws:ecr/lifecyclePolicy:LifecyclePolicy web-lifecycle",
        "aws:ecr/repository:Repository web",
        "shipyard:ecr:EcrRepository web"]
    assert all(c.after is diff.MISSING for c in changes)


def test_render_shows_paths_with_before_and_after():
    changed = json.loads(json.dumps(BASE))
    changed["eks"]["nodeGroups"][0]["instanceTypes"] = ["m6i.large"]
    text = diff.render(diff.compare(document(BASE), document(changed)), "a", "b")
    assert '      instanceTypes[0]: "t3.medium" → "m6i.large"' in text
    assert text.endswith("0 only in b, 0 only in a, 1 changed")


def test_cli_diff_exit_codes(capsys):
    assert main(["diff", "dev", "dev"]) == 0
    assert main(["diff", "dev", "prod"]) == 1
    assert "only in prod" in capsys.readouterr().out
    assert main(["diff", "dev"]) == 2


def test_diff_against_a_git_ref(tmp_path):
    """A throwaway repository: commit the project, change a stack file, diff against HEAD."""
    shutil.copytree(PROJECT, tmp_path / "repo", ignore=shutil.ignore_patterns(
        "venv", "venv-checkov", ".git", "__pycache__", "tests", "bench"))
    repo = tmp_path / "repo"
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    stack_file = repo / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace("availabilityZones: 2", "availabilityZones: 3"))
    base = diff.plan_document_at("HEAD", "dev", repo)
    working = diff.plan_document("dev", repo)
    changes = diff.compare(base, working)
    added = sorted(c.key for c in changes if c.before is diff.MISSING)
    assert "aws:ec2/subnet:Subnet shipyard-<stack>-private-3" in added
    assert "aws:ec2/subnet:Subnet shipyard-<stack>-public-3" in added
    assert all(c.after is not diff.MISSING for c in changes)  # nothing removed
    with pytest.raises(ValueError, match="cannot read git ref"):
        diff.plan_document_at("no-such-ref", "dev", repo)


# --- cost ---------------------------------------------------------------------------------------

def test_cost_matches_a_hand_computed_estimate_to_the_cent():
    """One NAT gateway, one ALB, 2 x 0.25 vCPU / 512 MiB Fargate tasks, an EKS control plane
    with one t3.medium node, priced by hand from prices.yaml."""
    plan = run_shipyard({
        "network": {"natGateways": "single"},
        "ecs": {"enabled": True, "capacity": "fargate"},
        "eks": {"enabled": True, "publicAccessCidrs": ["203.0.113.0/24"],
                "nodeGroups": [{"name": "small", "minSize": 1, "maxSize": 1}]},
        "services": [{"name": "api", "image": "nginx:1.27", "cpu": 0.25, "memory": 512,
                      "replicas": 2, "public": True, "runOn": ["ecs"]}]})
    estimate = cost.estimate(plan)
    lines = {line.item: line.monthly for line in estimate.lines}
    assert lines == {
        "EKS control plane shipyard-test": Decimal("73.00"),          # 0.10 x 730
        "NAT gateways": Decimal("32.85"),                             # 0.045 x 730
        "Public IPv4 addresses (NAT gateways)": Decimal("3.65"),      # 0.005 x 730
        "Application load balancer shipyard-test": Decimal("16.43"),  # 0.0225 x 730 = 16.425
        "Public IPv4 addresses (load balancer, one per AZ)": Decimal("7.30"),  # 2 x 0.005 x 730
        "KMS keys": Decimal("1.00"),                                  # the EKS secrets key
        "EKS managed nodes shipyard-test-small: 1 x t3.medium": Decimal("30.37"),  # 0.0416 x 730
        "EKS managed nodes shipyard-test-small: EBS gp3 root volumes": Decimal("1.60"),  # 20 x 0.08
        "ECS Fargate api": Decimal("18.02"),  # 2 x (0.25 x 0.04048 + 0.5 x 0.004445) x 730
    }
    assert estimate.total == Decimal("184.22")
    assert estimate.complete


def test_fargate_spot_discount_applies_beyond_the_on_demand_base():
    plan = run_shipyard({"ecs": {"enabled": True, "capacity": "fargateSpot", "onDemandBase": 1},
                         "services": [{"name": "api", "image": "nginx:1.27", "replicas": 3}]})
    lines = {line.item: line.monthly for line in cost.estimate(plan).lines}
    # on-demand: 1 x 0.0123425 x 730 = 9.01; Spot: 2 x 0.0123425 x 730 x 0.3 = 5.41
    assert lines["ECS Fargate api"] == Decimal("9.01")
    assert lines["ECS Fargate Spot api"] == Decimal("5.41")


def test_unpriced_regions_are_marked_not_guessed():
    plan = run_shipyard({"ecs": {"enabled": True}}, **{"aws:region": "eu-central-1"})
    estimate = cost.estimate(plan)
    assert estimate.lines and all(line.monthly is None for line in estimate.lines)
    assert "not priced" in cost.render(estimate)


def test_unknown_instance_types_are_not_priced():
    plan = run_shipyard({"ecs": {"enabled": True, "capacity": "ec2", "ec2": {"instanceType": "z1d.large"}}})
    [line] = [l for l in cost.estimate(plan).lines if "z1d.large" in l.item]
    assert line.monthly is None and "not in the price table" in line.note


def test_usage_based_items_are_listed_as_not_included(stack_plan):
    text = cost.render(cost.estimate(stack_plan("prod")))
    assert "Not included (usage-based): NAT gateway data processing" in text


def _not_included(plan):
    table = cost.load_prices()["not_included"]
    keys = {text: key for key, text in table.items()}
    return {keys.get(text, text) for text in cost.estimate(plan).not_included}


def test_not_included_lists_only_the_services_the_stack_uses(stack_plan):
    """Issue 18: dev has no WAF, no access logs, no Cloud Map, no certificates and no
    repository of its own (it builds into prod's): none of their charges is listed."""
    assert _not_included(stack_plan("dev")) == {
        "nat_gateway", "application_load_balancer", "log_groups", "container_insights",
        "data_transfer", cost.IMAGE_BUILDS_NOTE}
    assert _not_included(stack_plan("prod")) == {
        "nat_gateway", "application_load_balancer", "network_load_balancer", "log_groups",
        "container_insights", "ecr_storage", "data_transfer", "waf", "access_logs"}
    # A stack on an existing cluster outside AWS creates no AWS resource: no AWS usage at all.
    assert _not_included(run_shipyard({
        "kubernetes": {"context": "onprem"},
        "services": [{"name": "api", "image": "nginx:1.27", "public": True}]})) == set()


def test_every_usage_charge_has_its_rule_and_its_text():
    # The one charge only a cost line knows: the NLB of a LoadBalancer Service on a cluster in
    # this account (shipyard/platforms/kubernetes/facts.py, Line.usage).
    assert set(cost.load_prices()["not_included"]) == {*cost.USAGE_CHARGES, "network_load_balancer"}


def test_the_plan_names_the_values_the_mocks_made_up(stack_plan):
    """Issue 18: account and subnet ids, DNS names, digests and zone names in an offline plan
    are stand-ins; the plan says which, with examples taken from the plan itself."""
    dev = stack_plan("dev")
    found = dict(plan_view.placeholders(dev))
    assert found["AWS account id"] == "123456789012"
    assert set(found) == {"AWS account id", "resource ids", "DNS names",
                          "availability zone names", "digests of built images"}
    assert "subnet-..." in found["resource ids"] and "vpc-..." in found["resource ids"]
    text = plan_view.to_json(dev)
    for example in (found["DNS names"], found["availability zone names"].split(", ")[0],
                    found["digests of built images"]):
        assert example in text
    # prod: an EKS endpoint and AMIs, no build.
    prod = dict(plan_view.placeholders(stack_plan("prod")))
    assert ".eks.amazonaws.com" in prod["DNS names"] and prod["AMI ids"].startswith("ami-")
    assert "digests of built images" not in prod
    # dev's tasks are valid Fargate sizes: its notes are the placeholders alone.
    notes = plan_view.notes(dev, engine.stack_settings("dev")).splitlines()
    assert notes[0].startswith("Placeholders (made up offline by the mocks")
    assert notes[1:] == [f"  {what}: {examples}" for what, examples in plan_view.placeholders(dev)]


def test_price_table_has_a_source_region_and_date():
    table = cost.load_prices()
    assert table["date"] and "us-east-1" in table["regions"]
    assert "Source:" in cost.PRICES_FILE.read_text()


# --- graph --------------------------------------------------------------------------------------

def test_graph_dot_parses_and_names_every_component(stack_plan):
    plan = stack_plan("prod")
    [parsed] = pydot.graph_from_dot_data(graph.dependencies_dot(plan))
    clusters = {json.loads(s.get_name()) for s in _subgraphs(parsed)}
    components = [r for r in plan.resources if not r.custom]
    for component in components:
        if plan.children(component):
            assert f"cluster:{component.urn}" in clusters
    assert len(parsed.get_edges()) + sum(len(s.get_edges()) for s in _subgraphs(parsed)) > 50


def _subgraphs(parent):
    for sub in parent.get_subgraphs():
        yield sub
        yield from _subgraphs(sub)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graph_renders_with_graphviz(stack_plan, tmp_path):
    svg = graph.render(graph.to_dot(stack_plan("prod")), "svg")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg


class Picture:
    """The traffic view as parsed DOT: edges by (source, target), and each node's boxes."""

    def __init__(self, dot: str):
        [parsed] = pydot.graph_from_dot_data(dot)
        self.edges = {(json.loads(e.get_source()), json.loads(e.get_destination())):
                      json.loads(e.get("label")) for e in parsed.get_edges()}
        self.boxes: dict[str, list[str]] = {}  # node -> the boxes around it, outermost first
        self.labels: dict[str, str] = {}
        self.legend = ""

        def walk(graph_, outer: list[str]) -> None:
            for sub in graph_.get_subgraphs():
                label = sub.get("label") or ""
                if json.loads(sub.get_name()) == "cluster:legend":
                    self.legend = sub.get_nodes()[0].get("label")
                    continue
                walk(sub, outer + [json.loads(label)])
            for node in graph_.get_nodes():
                if node.get_name() not in ("node", "edge", "graph"):
                    self.boxes[json.loads(node.get_name())] = outer
                    self.labels[json.loads(node.get_name())] = json.loads(node.get("label"))

        walk(parsed, [])


def _urn(plan, type_, name):
    return plan.one(type_, name).urn


def test_prod_picture_shows_traffic_from_the_internet_through_load_balancers(stack_plan):
    plan = stack_plan("prod")
    picture = Picture(graph.to_dot(plan))
    alb = _urn(plan, "aws:lb/loadBalancer:LoadBalancer", "shipyard-prod")
    web_ecs = _urn(plan, "aws:ecs/service:Service", "web")
    api_ecs = _urn(plan, "aws:ecs/service:Service", "api")
    assert picture.edges[("internet", alb)] == "HTTPS :443\nHTTP :80 → HTTPS :443"
    assert picture.edges[(alb, web_ecs)] == "shop.example.com /*\n→ :3000"
    assert picture.edges[(alb, api_ecs)] == "api.shop.example.com /*\n→ :8080"
    for app, port in (("web", 3000), ("api", 8080)):  # each EKS Service of type LoadBalancer
        nlb = _urn(plan, "kubernetes:core/v1:Service", f"eks-{app}")
        pods = _urn(plan, "kubernetes:apps/v1:Deployment", f"eks-{app}")
        assert picture.edges[("internet", nlb)] == "TCP :80"
        assert picture.edges[(nlb, pods)] == f":{port}"
    # Only traffic: no Pulumi dependency (a listener rule, a role) is drawn.
    assert len(picture.edges) == 7


def test_prod_picture_groups_services_by_network_and_platform(stack_plan):
    plan = stack_plan("prod")
    picture = Picture(graph.to_dot(plan))
    vpc = "VPC shipyard-prod  10.20.0.0/16"
    assert picture.boxes["internet"] == []
    assert picture.boxes[_urn(plan, "aws:lb/loadBalancer:LoadBalancer", "shipyard-prod")] == [vpc]
    assert picture.boxes[_urn(plan, "aws:ecs/service:Service", "web")] == [
        vpc, "ECS cluster shipyard-prod  (Fargate)"]
    assert picture.boxes[_urn(plan, "kubernetes:apps/v1:Deployment", "eks-web")] == [
        vpc, "EKS cluster shipyard-prod  (Kubernetes 1.35)"]
    assert picture.boxes[_urn(plan, "kubernetes:core/v1:Service", "eks-web")] == [vpc]


@pytest.mark.parametrize("ecs, capacity", [
    ({"capacity": "fargateSpot"}, "Fargate Spot"),
    ({"capacity": "fargateSpot", "onDemandBase": 1}, "Fargate + Fargate Spot"),
    ({"capacity": "fargate"}, "Fargate"),
    ({"capacity": "ec2"}, "EC2")])
def test_the_ecs_box_names_the_capacity_its_tasks_run_on(ecs, capacity):
    plan = run_shipyard({"ecs": {"enabled": True, **ecs},
                         "services": [{"name": "api", "image": "nginx:1.27", "public": True}]})
    assert Picture(graph.to_dot(plan)).boxes[_urn(plan, "aws:ecs/service:Service", "api")][-1] == (
        f"ECS cluster shipyard-test  ({capacity})")


def test_pictures_draw_who_calls_whom(stack_plan):
    staging = stack_plan("staging")  # web calls api on EKS: api's NetworkPolicy admits web
    web, api = (_urn(staging, "kubernetes:apps/v1:Deployment", f"eks-{n}") for n in ("web", "api"))
    assert Picture(graph.to_dot(staging)).edges[(web, api)] == "http://api:8080"
    ecs = engine.run("ecs", stack_file=PROJECT / "examples/two-service-app/Pulumi.ecs.yaml")
    web, api = (_urn(ecs, "aws:ecs/service:Service", n) for n in ("web", "api"))
    picture = Picture(graph.to_dot(ecs))  # on ECS: api's security group admits web's
    assert picture.edges[(web, api)] == "http://api:8080"
    alb = _urn(ecs, "aws:lb/loadBalancer:LoadBalancer", "shipyard-ecs")
    assert picture.edges[(alb, web)] == "www.example.com /*\n→ :3000"


def test_custom_domains_name_their_load_balancer():
    eks = engine.run("eks", stack_file=PROJECT / "examples/two-service-app/Pulumi.eks.yaml")
    nlb = _urn(eks, "kubernetes:core/v1:Service", "eks-web")
    picture = Picture(graph.to_dot(eks))
    assert picture.edges[("internet", nlb)] == "TLS :443"
    assert picture.labels[nlb] == "Network Load Balancer\nService web\nwww.example.com"


def test_an_existing_cluster_and_vpc_are_boxes_of_their_own():
    network = {"vpcId": "vpc-0123456789abcdef0",
               "publicSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
               "privateSubnetIds": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]}
    web = {"name": "web", "image": "ghcr.io/acme/web:1.0.0", "port": 3000, "public": True}
    plan = run_shipyard({"ecs": {"enabled": True}, "network": network, "services": [web],
                         "kubernetes": {"kubeconfig": KUBECONFIG}})
    picture = Picture(graph.to_dot(plan))
    assert picture.boxes[_urn(plan, "aws:ecs/service:Service", "web")] == [
        "existing VPC vpc-0123456789abcdef0", "ECS cluster shipyard-test  (Fargate)"]
    load_balancer = _urn(plan, "kubernetes:core/v1:Service", "kubernetes-web")
    assert picture.boxes[load_balancer] == ["existing Kubernetes cluster (kubeconfig)"]
    assert picture.edges[(load_balancer,
                          _urn(plan, "kubernetes:apps/v1:Deployment", "kubernetes-web"))] == ":3000"


def test_the_legend_explains_what_the_picture_draws(stack_plan):
    legend = Picture(graph.to_dot(stack_plan("staging"))).legend
    for meaning in ("request from the internet", "load balancer forwards", "service calls service",
                    "VPC", "Kubernetes cluster", "load balancer: an entry point"):
        assert meaning in legend
    assert "ECS cluster" not in legend  # staging runs no ECS
    assert "service calls service" not in Picture(graph.to_dot(stack_plan("dev"))).legend


def test_the_dependency_view_stays_available(capsys):
    assert main(["graph", "dev", "--view", "dependencies"]) == 0
    dependencies = capsys.readouterr().out
    assert main(["graph", "dev"]) == 0
    traffic = capsys.readouterr().out
    assert '"ListenerRule\\napi-route"' in dependencies
    assert "Shipyard stack dev: traffic" in traffic and "ListenerRule" not in traffic


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_prod_picture_is_a_readable_size(stack_plan):
    png = graph.render(graph.to_dot(stack_plan("prod")), "png")
    width, height = struct.unpack(">II", png[16:24])  # the PNG IHDR chunk
    assert width <= 1600 and height <= 1000, (width, height)


def test_a_version_past_standard_support_is_priced_at_the_extended_rate():
    plan = run_shipyard({"eks": {**BASE["eks"], "version": "1.33"}})  # standard ended 2026-07-29
    [line] = [l for l in cost.estimate(plan).lines if l.item.startswith("EKS control plane")]
    assert line.monthly == Decimal("438.00") and line.note == "extended support"  # 0.60 x 730


def test_load_balancers_on_an_external_cluster_are_not_priced():
    kubeconfig = "apiVersion: v1\nclusters:\n- name: c\n  cluster: {server: 'https://k8s.example'}\n"
    plan = run_shipyard({"kubernetes": {"kubeconfig": kubeconfig},
                         "services": [{"name": "web", "image": "nginx:1.27", "public": True}]})
    [line] = cost.estimate(plan).lines
    assert line.monthly is None and "outside this stack's AWS account" in line.note
