"""Kubernetes workloads: the same service spec on EKS or any cluster, checked against the official
Kubernetes schemas (kubernetes-validate) and checkov's Kubernetes checks."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from shipyard.review import engine, mocks
from shipyard.review.engine import Plan, Secret
from shipyard.review.mocks import secret_document
from shipyard.services.secret_values import SecretValueError, json_field
from tests.conftest import PROJECT, run_shipyard

KUBERNETES_VERSION = "1.35.0"  # the default EKS version
KUBECONFIG = yaml.safe_dump({
    "apiVersion": "v1", "kind": "Config", "current-context": "onprem",
    "clusters": [{"name": "onprem", "cluster": {"server": "https://k8s.example.internal:6443"}}],
    "contexts": [{"name": "onprem", "context": {"cluster": "onprem", "user": "deployer"}}],
    "users": [{"name": "deployer", "user": {"token": "not-a-real-token"}}]})
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
PARAMETER = "arn:aws:ssm:us-east-1:123456789012:parameter/app/key"
API = {"name": "api", "image": "ghcr.io/acme/api:1.2.3", "port": 8080, "cpu": 0.5,
       "memory": 1024, "replicas": 2, "healthCheckPath": "/healthz", "public": True,
       "env": {"MODE": "prod"}, "secrets": {"DB_URL": SECRET, "KEY": PARAMETER}}
WORKER = {"name": "worker", "image": "ghcr.io/acme/worker:2.0.0", "replicas": 1}

# checkov findings we accept, and why. Everything else must pass.
ACCEPTED_CHECKOV_FINDINGS = {
    "CKV_K8S_43": "image digests: services pin tags, and Shipyard's ECR repositories make tags "
                  "immutable, so a tag names exactly one image",
    "CKV_K8S_15": "imagePullPolicy Always: with immutable tags IfNotPresent pulls the same image "
                  "and spares the registry on every restart",
    "CKV_K8S_35": "secrets as environment variables: the service spec is the same on ECS, where "
                  "secrets arrive as variables; apps need not change to move platforms",
}


def existing_cluster(*services, **settings) -> Plan:
    return run_shipyard({"kubernetes": {"kubeconfig": KUBECONFIG, **settings},
                         "services": list(services)})


@pytest.fixture(scope="module")
def onprem() -> Plan:
    return existing_cluster(API, WORKER)


def _plain(value: Any) -> Any:
    if isinstance(value, Secret):
        return {k: "redacted" for k in value.value} if isinstance(value.value, dict) else "redacted"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def manifests(plan: Plan) -> list[dict[str, Any]]:
    """Every Kubernetes object the plan registers, as the manifest the API server receives."""
    return [_plain(r.inputs) for r in plan.resources
            if r.type.startswith("kubernetes:") and not r.type.startswith("pulumi:providers")]


def objects(plan: Plan, kind: str) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in manifests(plan) if m["kind"] == kind}


# --- schema and policy validation ---------------------------------------------------------------

def _all_plans(stack_plan) -> list[Plan]:
    two_service_app = PROJECT / "examples" / "two-service-app" / "Pulumi.eks.yaml"
    return [stack_plan("staging"), stack_plan("prod"), existing_cluster(API, WORKER),
            engine.run("eks", stack_file=two_service_app)]


def test_every_object_validates_against_the_official_kubernetes_schema(stack_plan):
    checked = 0
    for plan in _all_plans(stack_plan):
        for manifest in manifests(plan):
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
            checked += 1
    assert checked > 20


def test_the_schema_check_rejects_a_broken_object(onprem):
    deployment = objects(onprem, "Deployment")["api"]
    broken = json.loads(json.dumps(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "8080"
    broken["spec"]["replica"] = 3
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def _checkov() -> str:
    checkov = os.environ.get("CHECKOV", str(PROJECT / "venv-checkov" / "bin" / "checkov"))
    assert Path(checkov).exists(), "checkov is missing: `make test` builds venv-checkov"
    return checkov


def test_checkov_kubernetes_checks_pass_except_the_documented_ones(stack_plan, tmp_path):
    documents = [m for plan in _all_plans(stack_plan) for m in manifests(plan)]
    path = tmp_path / "manifests.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    result = subprocess.run([_checkov(), "-f", str(path), "--framework", "kubernetes", "-o", "json"],
                            capture_output=True, text=True, timeout=300)
    report = json.loads(result.stdout)
    report = report[0] if isinstance(report, list) else report
    failed = {(f["check_id"], f["resource"]) for f in report["results"]["failed_checks"]}
    unexpected = sorted(f for f in failed if f[0] not in ACCEPTED_CHECKOV_FINDINGS)
    assert unexpected == []
    assert len(report["results"]["passed_checks"]) > 100


# --- the objects --------------------------------------------------------------------------------

def test_existing_cluster_registers_no_aws_resource(onprem):
    assert [r.type for r in onprem.resources if r.type.startswith(("aws:", "eks:"))] == []
    assert onprem.of_type("shipyard:network:Network") == []


def test_existing_cluster_provider_uses_the_kubeconfig_as_a_secret(onprem):
    provider = onprem.one("pulumi:providers:kubernetes")
    assert isinstance(provider.inputs["kubeconfig"], Secret)
    assert yaml.safe_load(provider.inputs["kubeconfig"].value)["clusters"][0]["name"] == "onprem"


def test_existing_cluster_by_context_only():
    plan = run_shipyard({"kubernetes": {"context": "kind-dev"}, "services": [WORKER]})
    assert plan.one("pulumi:providers:kubernetes").inputs["context"] == "kind-dev"
    assert "kubeconfig" not in plan.one("pulumi:providers:kubernetes").inputs


def test_namespace_enforces_the_restricted_pod_security_standard(onprem):
    namespace = objects(onprem, "Namespace")["apps"]
    for mode in ("enforce", "audit", "warn"):
        assert namespace["metadata"]["labels"][f"pod-security.kubernetes.io/{mode}"] == "restricted"


def test_pods_meet_the_restricted_profile(onprem):
    pod = objects(onprem, "Deployment")["api"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    [container] = pod["containers"]
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["readOnlyRootFilesystem"] is True
    assert container["volumeMounts"] == [{"name": "scratch", "mountPath": "/tmp"}]
    assert pod["volumes"] == [{"name": "scratch", "emptyDir": {"sizeLimit": "256Mi"}}]
    assert not any(k in pod for k in ("hostNetwork", "hostPID", "hostIPC"))


def test_resources_probes_and_spread(onprem):
    deployment = objects(onprem, "Deployment")["api"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["resources"] == {"requests": {"cpu": "500m", "memory": "1024Mi"},
                                      "limits": {"cpu": "500m", "memory": "1024Mi"}}
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http", "scheme": "HTTP"}
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    zones = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"][0]
    assert zones["topologyKey"] == "topology.kubernetes.io/zone"
    assert deployment["metadata"]["namespace"] == "apps"


def test_secrets_reach_pods_from_a_secret_whose_values_stay_pulumi_secrets(onprem):
    secret = onprem.one("kubernetes:core/v1:Secret")
    assert isinstance(secret.inputs["stringData"], Secret)
    assert sorted(secret.inputs["stringData"].value) == ["DB_URL", "KEY"]
    [container] = objects(onprem, "Deployment")["api"]["spec"]["template"]["spec"]["containers"]
    assert {"name": "DB_URL", "valueFrom": {"secretKeyRef": {"name": "api-secrets", "key": "DB_URL"}}} \
        in container["env"]
    assert {"name": "MODE", "value": "prod"} in container["env"]
    deployment = onprem.one("kubernetes:apps/v1:Deployment", "kubernetes-api")
    assert secret.urn in deployment.depends_on


def test_services_without_secrets_get_no_secret(onprem):
    assert [s.name for s in onprem.of_type("kubernetes:core/v1:Secret")] == ["kubernetes-api-secrets"]


def test_public_services_get_a_load_balancer_and_private_ones_a_cluster_ip(onprem):
    services = objects(onprem, "Service")
    assert services["api"]["spec"]["type"] == "LoadBalancer"
    assert services["api"]["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    assert services["worker"]["spec"]["type"] == "ClusterIP"
    assert "annotations" not in services["api"]["metadata"]  # portable: no cloud annotations


def test_eks_load_balancers_are_nlbs(stack_plan):
    web = objects(stack_plan("staging"), "Service")["web"]
    assert web["metadata"]["annotations"] == {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}


def test_disruption_budget_autoscaler_and_network_policy(onprem):
    assert objects(onprem, "PodDisruptionBudget")["worker"]["spec"]["maxUnavailable"] == 1
    hpa = objects(onprem, "HorizontalPodAutoscaler")["api"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu", "memory"]
    assert "spec.replicas" in onprem.one("kubernetes:apps/v1:Deployment", "kubernetes-api").ignore_changes
    policy = objects(onprem, "NetworkPolicy")["api"]["spec"]
    assert policy["ingress"] == [{"ports": [{"port": 8080, "protocol": "TCP"}]}]


def test_without_autoscaling_replicas_are_fixed():
    plan = existing_cluster(WORKER, autoscaling={"enabled": False})
    assert objects(plan, "HorizontalPodAutoscaler") == {}
    assert objects(plan, "Deployment")["worker"]["spec"]["replicas"] == 1


def test_moving_a_service_between_platforms_is_a_config_change():
    both = run_shipyard({"ecs": {"enabled": True}, "kubernetes": {"kubeconfig": KUBECONFIG},
                         "services": [{**WORKER, "runOn": ["ecs"]}]})
    moved = run_shipyard({"ecs": {"enabled": True}, "kubernetes": {"kubeconfig": KUBECONFIG},
                          "services": [{**WORKER, "runOn": ["kubernetes"]}]})
    assert both.of_type("aws:ecs/service:Service") and not objects(both, "Deployment")
    assert objects(moved, "Deployment")["worker"]["spec"]["template"]["spec"]["containers"][0]["image"] == WORKER["image"]
    assert not moved.of_type("aws:ecs/service:Service")


def test_eks_workloads_use_the_cluster_kubeconfig(stack_plan):
    staging = stack_plan("staging")
    provider = staging.one("pulumi:providers:kubernetes")
    assert isinstance(provider.inputs["kubeconfig"], Secret)
    assert json.loads(provider.inputs["kubeconfig"].value)["users"][0]["user"]["exec"]["args"][3] == "shipyard-staging"
    image = objects(staging, "Deployment")["api"]["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api:1.4.2"


@pytest.mark.parametrize("key", ["password", "apiToken"])
def test_a_json_key_of_a_secret_is_read_from_the_secret_itself(key):
    plan = existing_cluster({**WORKER, "secrets": {"TOKEN": f"{SECRET}:{key}::"}})
    values = plan.one("kubernetes:core/v1:Secret").inputs["stringData"].value
    # The key's value, not the JSON document (the mock secret holds every key the stack names).
    assert values["TOKEN"] == secret_document(SECRET, [key])[key]


def test_a_secret_without_the_referenced_json_key_stops_the_deployment_with_its_name():
    with pytest.raises(SecretValueError) as caught:
        json_field(json.dumps({"username": "app"}), "password", "service api, secret DB")
    assert str(caught.value) == "service api, secret DB: the secret has no JSON key 'password'"


def test_a_secret_that_is_not_json_cannot_serve_a_json_key():
    with pytest.raises(SecretValueError, match="the secret is not a JSON object, so it has no key "
                                               "'password': reference the whole secret"):
        json_field("hunter2", "password", "service api, secret DB")


def test_json_secret_values_that_are_not_strings_arrive_as_their_json_text():
    assert json_field('{"port": 5432, "tls": true}', "port", "x") == "5432"
    assert json_field('{"port": 5432, "tls": true}', "tls", "x") == "true"


@pytest.mark.parametrize("platform", ["ecs", "eks", "kubernetes"])
def test_a_json_key_secret_reference_plans_on_every_platform(platform):
    reference = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev/db-AbCdEf:password::"
    platforms = {
        "ecs": {"ecs": {"enabled": True}},
        "eks": {"eks": {"enabled": True, "publicAccessCidrs": ["203.0.113.0/24"],
                        "nodeGroups": [{"name": "general"}]}},
        "kubernetes": {"kubernetes": {"kubeconfig": KUBECONFIG}}}
    plan = run_shipyard({**platforms[platform], "services": [
        {**WORKER, "secrets": {"DB_PASSWORD": reference}}]})
    if platform == "ecs":
        container = json.loads(plan.one("aws:ecs/taskDefinition:TaskDefinition")
                               .inputs["containerDefinitions"])[0]
        assert container["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": reference}]
    else:
        values = plan.one("kubernetes:core/v1:Secret").inputs["stringData"].value
        assert values["DB_PASSWORD"] == secret_document(reference.rsplit(":", 3)[0],
                                                        ["password"])["password"]


def test_a_deployed_secret_without_the_key_stops_the_program_with_a_clear_error(monkeypatch):
    # The secret as it exists at `pulumi up` time lacks the key the stack references.
    monkeypatch.setattr(mocks, "secret_document", lambda arn, keys=(): {"username": "app"})
    reference = f"{SECRET}:password::"
    with pytest.raises(SecretValueError) as caught:
        existing_cluster({**WORKER, "secrets": {"DB_PASSWORD": reference}})
    assert str(caught.value) == (f"service worker, secret DB_PASSWORD ({reference}): the secret "
                                 f"has no JSON key 'password'")
    monkeypatch.undo()
    # The stopped run left nothing behind that breaks the next one (on another event loop).
    assert existing_cluster(WORKER).of_type("kubernetes:apps/v1:Deployment")
