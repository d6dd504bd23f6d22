"""Services find each other by name: GIVEN `web` calls `api` WHEN they run on ECS or Kubernetes
THEN web reaches api at http://api:<port>, and nothing else gets through to api."""

from __future__ import annotations

import json

import kubernetes_validate
import pytest

from shipyard.config.schema import Service
from shipyard.platforms.ecs.task import PROXY_MIB, PROXY_VCPU, task_size
from shipyard.review.engine import Plan
from shipyard.services.calls import called, callees_first, callers_of, find_cycle
from tests.aws_shapes import problems
from tests.conftest import run_shipyard
from tests.test_kubernetes import KUBECONFIG, KUBERNETES_VERSION, objects

WEB = {"name": "web", "image": "ghcr.io/acme/web:1.0.0", "port": 3000, "public": True,
       "calls": ["api"]}
API = {"name": "api", "image": "ghcr.io/acme/api:1.0.0", "port": 8080}
WORKER = {"name": "worker", "image": "ghcr.io/acme/worker:1.0.0"}  # calls nobody, nobody calls it
SERVICE = "aws:ecs/service:Service"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def services(*specs) -> list[Service]:
    return [Service.model_validate(s) for s in specs]


@pytest.fixture(scope="module")
def on_ecs() -> Plan:
    return run_shipyard({"ecs": {"enabled": True}, "services": [WEB, API, WORKER]})


@pytest.fixture(scope="module")
def on_kubernetes() -> Plan:
    return run_shipyard({"kubernetes": {"kubeconfig": KUBECONFIG}, "services": [WEB, API, WORKER]})


# --- the call graph (pure) ------------------------------------------------------------------

def test_callers_and_callees():
    graph = services(WEB, API, WORKER, {**WORKER, "name": "cron", "calls": ["api"]})
    assert callers_of(graph, "api") == ["cron", "web"]
    assert callers_of(graph, "web") == []
    assert called(graph) == {"api"}


def test_callees_come_first_otherwise_config_order():
    graph = services({**WEB, "calls": ["api", "auth"]}, {**API, "calls": ["auth"]},
                     {**WORKER, "name": "auth"}, WORKER)
    assert [s.name for s in callees_first(graph)] == ["auth", "api", "web", "worker"]


def test_cycles_are_found():
    assert find_cycle(services(WEB, API)) is None
    cycle = find_cycle(services(WEB, {**API, "calls": ["web"]}))
    assert cycle == ["web", "api", "web"]


# --- ECS: Service Connect ------------------------------------------------------------------

def _service_connect_request(service) -> dict:
    """The recorded pulumi-aws input as ECS CreateService's serviceConnectConfiguration."""
    configuration = json.loads(json.dumps(service.inputs["serviceConnectConfiguration"]))
    for entry in configuration.get("services", []):
        entry["clientAliases"] = entry.pop("clientAlias")
    return configuration


def test_callee_publishes_its_name_and_port_as_a_service_connect_alias(on_ecs):
    namespace = on_ecs.one("aws:servicediscovery/httpNamespace:HttpNamespace")
    assert namespace.inputs["name"] == "shipyard-test"
    configuration = _service_connect_request(on_ecs.one(SERVICE, "api"))
    assert configuration["enabled"] is True
    assert configuration["namespace"].startswith("arn:aws:servicediscovery:us-east-1:")
    assert configuration["services"] == [{"portName": "http", "discoveryName": "api",
                                          "clientAliases": [{"port": 8080, "dnsName": "api"}]}]
    assert configuration["logConfiguration"]["logDriver"] == "awslogs"
    assert configuration["logConfiguration"]["options"]["awslogs-group"] == "/ecs/shipyard-test/api"


def test_caller_is_a_service_connect_client_only(on_ecs):
    configuration = _service_connect_request(on_ecs.one(SERVICE, "web"))
    assert configuration["enabled"] is True and "services" not in configuration


def test_the_namespace_validates_against_the_cloud_map_api_model(on_ecs):
    namespace = on_ecs.one("aws:servicediscovery/httpNamespace:HttpNamespace").inputs
    assert problems("servicediscovery", "CreateHttpNamespace", {
        "Name": namespace["name"], "Description": namespace["description"]}) == []


def test_the_namespace_is_the_clusters_service_connect_default(on_ecs):
    cluster = on_ecs.one("aws:ecs/cluster:Cluster")
    namespace = _service_connect_request(on_ecs.one(SERVICE, "api"))["namespace"]
    assert cluster.inputs["serviceConnectDefaults"] == {"namespace": namespace}


def test_service_connect_validates_against_the_ecs_api_model(on_ecs):
    for name in ("web", "api"):
        service = on_ecs.one(SERVICE, name)
        request = {"serviceName": name, "cluster": "shipyard-test",
                   "serviceConnectConfiguration": _service_connect_request(service)}
        assert problems("ecs", "CreateService", request) == []


def test_the_validator_rejects_what_ecs_would():
    bad = {"serviceName": "api", "serviceConnectConfiguration": {
        "enabled": True, "services": [{"clientAliases": [{"port": 70000}]}],
        "logConfiguration": {"logDriver": "syslogg"}}}
    assert len(problems("ecs", "CreateService", bad)) >= 2


def test_the_callee_names_its_port_mapping_for_service_connect(on_ecs):
    task = on_ecs.one("aws:ecs/taskDefinition:TaskDefinition", "api")
    [container] = json.loads(task.inputs["containerDefinitions"])
    assert container["portMappings"] == [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp",
                                          "name": "http", "appProtocol": "http"}]
    request = {"family": task.inputs["family"], "containerDefinitions": [container]}
    assert problems("ecs", "RegisterTaskDefinition", request) == []


def test_services_outside_the_call_graph_are_unchanged(on_ecs):
    """No proxy, no port name, no new task revision for services that neither call nor are called."""
    assert "serviceConnectConfiguration" not in on_ecs.one(SERVICE, "worker").inputs
    task = on_ecs.one("aws:ecs/taskDefinition:TaskDefinition", "worker")
    assert "name" not in json.loads(task.inputs["containerDefinitions"])[0]["portMappings"][0]
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("256", "512")


def test_no_namespace_without_calls():
    plan = run_shipyard({"ecs": {"enabled": True}, "services": [API, WORKER]})
    assert plan.of_type("aws:servicediscovery/httpNamespace:HttpNamespace") == []
    assert "serviceConnectDefaults" not in plan.one("aws:ecs/cluster:Cluster").inputs


def test_tasks_with_a_proxy_get_room_for_it(on_ecs):
    # 0.25 vCPU / 512 MiB plus the proxy's 0.25 vCPU / 64 MiB: the next Fargate size up.
    for name in ("web", "api"):
        task = on_ecs.one("aws:ecs/taskDefinition:TaskDefinition", name)
        assert (task.inputs["cpu"], task.inputs["memory"]) == ("512", "1024")
    assert task_size(services(API)[0], proxied=True) == (512, 1024)
    assert (PROXY_VCPU, PROXY_MIB) == (0.25, 64)


def test_a_caller_starts_after_the_services_it_calls(on_ecs):
    web, api = on_ecs.one(SERVICE, "web"), on_ecs.one(SERVICE, "api")
    assert api.urn in web.depends_on
    assert web.urn not in api.depends_on


# --- ECS: security groups admit exactly the declared callers --------------------------------

def _group_id(plan: Plan, service: str) -> str:
    return plan.one(SERVICE, service).inputs["networkConfiguration"]["securityGroups"][0]


def _ingress_to(plan: Plan, service: str) -> list[dict]:
    group = _group_id(plan, service)
    return [r.inputs for r in plan.of_type(INGRESS) if r.inputs["securityGroupId"] == group]


def test_the_callee_admits_its_caller_on_its_port_only(on_ecs):
    [rule] = _ingress_to(on_ecs, "api")
    assert rule["referencedSecurityGroupId"] == _group_id(on_ecs, "web")
    assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 8080, 8080)
    assert "cidrIpv4" not in rule
    request = {"GroupId": rule["securityGroupId"], "IpPermissions": [{
        "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [
            {"GroupId": rule["referencedSecurityGroupId"], "Description": rule["description"]}]}]}
    assert problems("ec2", "AuthorizeSecurityGroupIngress", request) == []


def test_undeclared_traffic_stays_blocked(on_ecs):
    assert _ingress_to(on_ecs, "worker") == []  # nobody calls it: no inbound rule at all
    web_sources = {r["referencedSecurityGroupId"] for r in _ingress_to(on_ecs, "web")}
    [alb_group] = on_ecs.one("aws:lb/loadBalancer:LoadBalancer").inputs["securityGroups"]
    assert web_sources == {alb_group}  # web calls api, not the other way round


def test_several_callers_each_get_their_own_rule():
    plan = run_shipyard({"ecs": {"enabled": True},
                         "services": [WEB, API, {**WORKER, "calls": ["api"]}]})
    sources = sorted(r["referencedSecurityGroupId"] for r in _ingress_to(plan, "api"))
    assert sources == sorted([_group_id(plan, "web"), _group_id(plan, "worker")])


# --- Kubernetes: Services by name, NetworkPolicies admit exactly the callers ---------------

def test_a_private_service_answers_on_its_own_port(on_kubernetes):
    port = objects(on_kubernetes, "Service")["api"]["spec"]["ports"][0]
    assert (port["port"], port["targetPort"]) == (8080, "http")
    assert objects(on_kubernetes, "Service")["api"]["spec"]["type"] == "ClusterIP"


def test_network_policy_admits_only_the_callers_pods(on_kubernetes):
    policy = objects(on_kubernetes, "NetworkPolicy")["api"]["spec"]
    assert policy["policyTypes"] == ["Ingress"]
    assert policy["ingress"] == [{
        "from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "web"}}}],
        "ports": [{"port": 8080, "protocol": "TCP"}]}]


def test_a_private_service_nobody_calls_admits_nothing(on_kubernetes):
    assert objects(on_kubernetes, "NetworkPolicy")["worker"]["spec"]["ingress"] == []


def test_a_public_service_stays_reachable_from_its_load_balancer(on_kubernetes):
    # Load balancer traffic arrives from node and NLB addresses, which no pod selector matches.
    assert objects(on_kubernetes, "NetworkPolicy")["web"]["spec"]["ingress"] == [
        {"ports": [{"port": 3000, "protocol": "TCP"}]}]


def test_policies_validate_against_the_kubernetes_schema(on_kubernetes):
    for policy in objects(on_kubernetes, "NetworkPolicy").values():
        kubernetes_validate.validate(policy, KUBERNETES_VERSION, strict=True)
