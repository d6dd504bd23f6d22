"""The worked example (examples/two-service-app): GIVEN `web`, public on www.example.com and
calling `api` privately, WHEN it is planned offline for ECS and for EKS THEN every wire is there —
and its plans match their golden snapshots (`make golden` refreshes them)."""

from __future__ import annotations

import json
from pathlib import Path

import kubernetes_validate
import pytest

from shipyard import cli
from shipyard.review import cost, diff, engine, graph
from shipyard.review import plan as plan_view
from tests.conftest import PROJECT
from tests.test_kubernetes import KUBERNETES_VERSION, manifests, objects

EXAMPLE = PROJECT / "examples" / "two-service-app"
GOLDEN = PROJECT / "tests" / "golden" / "examples"
EXAMPLE_FILES = sorted(PROJECT.glob("examples/*/Pulumi.*.yaml"))


def _stack(path: Path) -> str:
    return path.name[len("Pulumi."):-len(".yaml")]


def example(path: Path) -> engine.Plan:
    return engine.run(_stack(path), stack_file=path)


@pytest.fixture(scope="module")
def ecs() -> engine.Plan:
    return example(EXAMPLE / "Pulumi.ecs.yaml")


@pytest.fixture(scope="module")
def eks() -> engine.Plan:
    return example(EXAMPLE / "Pulumi.eks.yaml")


def _web_api_url(plan: engine.Plan) -> str:
    task = plan.one("aws:ecs/taskDefinition:TaskDefinition", "web")
    [container] = json.loads(task.inputs["containerDefinitions"])
    return {e["name"]: e["value"] for e in container["environment"]}["API_URL"]


# --- ECS ----------------------------------------------------------------------------------

def test_ecs_web_reaches_api_at_the_url_it_is_configured_with(ecs):
    api = ecs.one("aws:ecs/service:Service", "api").inputs["serviceConnectConfiguration"]
    [alias] = api["services"][0]["clientAlias"]
    assert _web_api_url(ecs) == f"http://{alias['dnsName']}:{alias['port']}" == "http://api:8080"
    assert ecs.one("aws:ecs/service:Service", "web").inputs["serviceConnectConfiguration"]["enabled"]


def test_ecs_only_web_and_the_alb_get_in(ecs):
    groups = {name: ecs.one("aws:ecs/service:Service", name).inputs["networkConfiguration"]
              ["securityGroups"][0] for name in ("web", "api")}
    [alb_group] = ecs.one("aws:lb/loadBalancer:LoadBalancer").inputs["securityGroups"]
    rules = ecs.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    sources = {name: sorted((r.inputs["referencedSecurityGroupId"], r.inputs["fromPort"])
                            for r in rules if r.inputs["securityGroupId"] == group)
               for name, group in groups.items()}
    assert sources == {"api": [(groups["web"], 8080)], "web": [(alb_group, 3000)]}


def test_ecs_web_is_served_over_https_on_its_domain(ecs):
    certificate = ecs.one("aws:acm/certificate:Certificate")
    validation = ecs.one("aws:acm/certificateValidation:CertificateValidation").inputs
    listeners = {l.inputs["port"]: l.inputs for l in ecs.of_type("aws:lb/listener:Listener")}
    records = {r.inputs["type"]: r.inputs for r in ecs.of_type("aws:route53/record:Record")}
    assert certificate.inputs["domainName"] == "www.example.com"
    assert listeners[443]["certificateArn"] == validation["certificateArn"]
    assert listeners[80]["defaultActions"][0]["type"] == "redirect"
    assert records["A"]["name"] == "www.example.com"
    assert records["CNAME"]["name"].endswith(".www.example.com.")
    assert ecs.outputs["ecsUrls"] == {"web": "https://www.example.com"}


# --- EKS ----------------------------------------------------------------------------------

def test_eks_web_reaches_api_at_the_same_url(eks):
    api = objects(eks, "Service")["api"]
    assert f"http://{api['metadata']['name']}:{api['spec']['ports'][0]['port']}" == "http://api:8080"
    web = objects(eks, "Deployment")["web"]["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "API_URL", "value": "http://api:8080"} in web["env"]


def test_eks_only_web_pods_reach_api(eks):
    policies = objects(eks, "NetworkPolicy")
    assert policies["api"]["spec"]["ingress"] == [{
        "from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "web"}}}],
        "ports": [{"port": 8080, "protocol": "TCP"}]}]
    assert policies["web"]["spec"]["ingress"] == [{"ports": [{"port": 3000, "protocol": "TCP"}]}]


def test_eks_web_is_served_over_tls_on_its_domain(eks):
    web = objects(eks, "Service")["web"]
    validation = eks.one("aws:acm/certificateValidation:CertificateValidation").inputs
    annotations = web["metadata"]["annotations"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"] == validation["certificateArn"]
    assert [p["port"] for p in web["spec"]["ports"]] == [443]
    record = eks.one("aws:route53/record:Record", "www.example.com-alias").inputs
    assert record["name"] == "www.example.com" and record["type"] == "A"


def test_eks_objects_validate_against_the_kubernetes_schema(eks):
    for manifest in manifests(eks):
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


# --- review tools -------------------------------------------------------------------------

def test_cost_counts_service_connect_and_nothing_for_certificates(ecs):
    estimate = cost.estimate(ecs)
    items = {line.item: line for line in estimate.lines}
    assert str(items["Cloud Map instances (Service Connect endpoint tasks)"].monthly) == "0.20"
    assert not any("certificate" in item.lower() for item in items)
    assert any("ACM public certificates are free" in note for note in estimate.not_included)


def test_graph_and_plan_show_the_new_resources(ecs):
    dot = graph.dependencies_dot(ecs)
    for kind in ("HttpNamespace", "Certificate", "CertificateValidation", "Record"):
        assert kind in dot
    text = plan_view.to_text(ecs)
    assert 'domainName="www.example.com"' in text
    assert '"dnsName": "api"' in text


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: f"{p.parent.name}.{_stack(p)}")
def test_example_plan_matches_its_golden_snapshot(path):
    golden_file = GOLDEN / f"{path.parent.name}.{_stack(path)}.json"
    assert golden_file.exists(), f"no golden plan for {path}: run `make golden`"
    golden = json.loads(golden_file.read_text())
    current = json.loads(plan_view.to_json(example(path)))
    changes = diff.compare(golden, current)
    assert changes == [], diff.render(changes, "golden", "current") + "\n(`make golden`)"
    assert current["resourceCount"] == golden["resourceCount"]


def test_the_cli_plans_an_example_from_its_stack_file(capsys):
    assert cli.main(["plan", "ecs", "--stack-file", str(EXAMPLE / "Pulumi.ecs.yaml")]) == 0
    assert 'aws:acm/certificate:Certificate www.example.com  domainName="www.example.com"' in (
        capsys.readouterr().out)


def test_graph_colours_dns_certificates_and_service_discovery_by_class(ecs):
    dot = graph.dependencies_dot(ecs)
    for kind, colour in (("Certificate", graph.FILL["security"]), ("Record", graph.FILL["network"]),
                         ("HttpNamespace", graph.FILL["serving"])):
        line = next(l for l in dot.splitlines() if f'"{kind}\\n' in l)
        assert colour in line, line
