"""GIVEN a stack on an existing Docker Swarm WHEN it is planned THEN each service is a
docker.Service whose recorded inputs carry its size, health check, rolling update, security
settings, secrets (as files) and call networks exactly; the Swarm's own limits are checked.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re

import pytest

from shipyard.config import ConfigError
from shipyard.config.rules import platform_notes
from shipyard.config.schema import Service, StackConfig
from shipyard.platforms.swarm import service_spec as spec
from shipyard.platforms.swarm.spec import DEFAULT_USER, Swarm
from shipyard.review import (
    check,
    ci_policy,
    controls,
    cost,
    diff,
    engine,
    lifecycle,
    traffic,
)
from shipyard.review import plan as plan_view
from shipyard.review.inputs import Secret, reveal
from shipyard.review.mocks import secret_document
from shipyard.services.containers import RUN_AS_USER
from shipyard.services.image_reference import familiar_string
from tests.conftest import PROJECT, run_shipyard

SERVICE = "docker:index/service:Service"
SECRET = "docker:index/secret:Secret"
NETWORK = "docker:index/network:Network"
PROVIDER = "pulumi:providers:docker"
SWARM = {"host": "ssh://deploy@manager.example.com"}
DB_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
TOKEN_ARN = "arn:aws:ssm:us-east-1:123456789012:parameter/api/token"
WEB = {"name": "web", "image": "ghcr.io/acme/web:1.0.0", "port": 3000, "public": True,
       "calls": ["api"], "env": {"API_URL": "http://api:8080"}, "healthCheckPath": "/healthz"}
API = {"name": "api", "image": "ghcr.io/acme/api@sha256:" + "a" * 64, "port": 8080,
       "cpu": 0.5, "memory": 768, "replicas": 3,
       "secrets": {"DB_PASSWORD": f"{DB_ARN}:password::", "API_TOKEN": TOKEN_ARN}}
WORKER = {"name": "worker", "image": "ghcr.io/acme/worker:2.0", "calls": ["api"],
          "healthCommand": ["/app/healthcheck", "--quiet"]}
LONER = {"name": "loner", "image": "ghcr.io/acme/loner:1.0"}  # calls nobody, nobody calls it


@pytest.fixture(scope="module")
def plan() -> engine.Plan:
    return run_shipyard({"swarm": SWARM, "services": [WEB, API, WORKER, LONER]})


def service(plan: engine.Plan, name: str) -> dict:
    return plan.one(SERVICE, f"swarm-{name}").inputs


def container(plan: engine.Plan, name: str) -> dict:
    return service(plan, name)["taskSpec"]["containerSpec"]


def test_each_service_is_named_by_the_stack_so_two_stacks_share_a_swarm(plan):
    names = sorted(r.inputs["name"] for r in plan.of_type(SERVICE))
    assert names == ["shipyard-test-api", "shipyard-test-loner", "shipyard-test-web",
                     "shipyard-test-worker"]
    assert all(re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", n) and len(n) <= 63 for n in names)
    assert plan.outputs["swarmServices"] == {"web": "shipyard-test-web", "api": "shipyard-test-api",
                                             "worker": "shipyard-test-worker",
                                             "loner": "shipyard-test-loner"}


def test_limits_and_reservations_are_the_service_size_in_nanocpus_and_bytes(plan):
    resources = service(plan, "api")["taskSpec"]["resources"]
    size = {"nanoCpus": 500_000_000, "memoryBytes": 768 * 1_048_576}
    assert resources == {"limits": size, "reservation": size}
    default = service(plan, "web")["taskSpec"]["resources"]["limits"]
    assert default == {"nanoCpus": 250_000_000, "memoryBytes": 512 * 1_048_576}


def test_replicas_run_as_configured_and_the_image_as_given(plan):
    assert service(plan, "api")["mode"] == {"replicated": {"replicas": 3}}
    assert service(plan, "web")["mode"] == {"replicated": {"replicas": 2}}
    assert container(plan, "api")["image"] == API["image"]  # by digest: no diff after create


def test_the_default_health_check_requests_the_health_path_with_the_images_wget(plan):
    assert container(plan, "web")["healthcheck"] == {
        "tests": ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:3000/healthz"],
        "interval": "10s", "timeout": "5s", "retries": 3, "startPeriod": "15s"}
    assert container(plan, "api")["healthcheck"]["tests"][-1] == "http://127.0.0.1:8080/"


def test_a_service_may_name_its_own_health_command(plan):
    assert container(plan, "worker")["healthcheck"]["tests"] == [
        "CMD", "/app/healthcheck", "--quiet"]


def test_a_shell_form_health_command_is_passed_as_docker_takes_it():
    shell = Service.model_validate({**WORKER, "healthCommand": ["CMD-SHELL", "pgrep app"]})
    assert spec.health_check(shell)["tests"] == ["CMD-SHELL", "pgrep app"]


def test_updates_roll_one_task_at_a_time_start_first_and_roll_back_on_failure(plan):
    inputs = service(plan, "api")
    assert inputs["updateConfig"] == {"parallelism": 1, "order": "start-first",
                                      "failureAction": "rollback", "monitor": "30s",
                                      "maxFailureRatio": "0.0", "delay": "0s"}
    assert inputs["rollbackConfig"] == {"parallelism": 1, "order": "start-first",
                                        "failureAction": "pause", "monitor": "30s",
                                        "maxFailureRatio": "0.0", "delay": "0s"}
    # 3 tasks one at a time, each ~105 s at most (start period, retries, monitor, grace), after
    # 2 minutes for the pull: longer than the 5 minutes a single-task service gets.
    assert inputs["convergeConfig"] == {"delay": "7s", "timeout": f"{120 + 3 * 105}s"}
    one = Service.model_validate({**WORKER, "replicas": 1})
    assert spec.converge_config(one)["timeout"] == "300s"   # never less than 5 minutes
    # The resource waits longer than the converge: past the plugin SDK's default 20 minutes.
    many = Service.model_validate({**WORKER, "replicas": 20})
    assert spec.converge_config(many)["timeout"] == f"{120 + 20 * 105}s"
    assert spec.operation_timeout(many) == f"{120 + 20 * 105 + 60}s"
    assert plan.one(SERVICE, "swarm-api").custom_timeouts == {
        "create": f"{120 + 3 * 105 + 60}s", "update": f"{120 + 3 * 105 + 60}s"}


@pytest.mark.parametrize("publish_mode, public, order", [
    ("host", True, "stop-first"), ("host", False, "start-first"), ("ingress", True, "start-first")])
def test_a_task_holding_a_host_port_is_stopped_before_its_replacement_starts(
        publish_mode, public, order):
    """Review: a new task waiting for a host port the old one holds stays pending forever
    (swarmkit HostPortFilter); every other service starts the new task first."""
    swarm = Swarm.model_validate({"enabled": True, "publishMode": publish_mode})
    api = Service.model_validate({**WORKER, "public": public})
    assert spec.update_config(api, swarm)["order"] == spec.rollback_config(api, swarm)["order"] \
        == order


def test_every_service_runs_read_only_unprivileged_as_a_non_root_user(plan):
    for resource in plan.of_type(SERVICE):
        spec_ = resource.inputs["taskSpec"]["containerSpec"]
        assert spec_["readOnly"] is True
        assert spec_["user"] == DEFAULT_USER == f"{RUN_AS_USER}:{RUN_AS_USER}"
        assert spec_["capDrops"] == ["ALL"] and "capAdds" not in spec_
        assert spec_["mounts"] == [{"type": "tmpfs", "target": "/tmp", "tmpfsOptions": {
            "sizeBytes": 64 * 1_048_576, "mode": 0o777}}]   # as the provider reads it back


def test_the_user_comes_from_the_config():
    plan = run_shipyard({"swarm": {**SWARM, "user": "20000:30000"}, "services": [API]})
    spec_ = container(plan, "api")
    assert spec_["user"] == "20000:30000"
    assert {(s["fileUid"], s["fileGid"]) for s in spec_["secrets"]} == {("20000", "30000")}


def test_only_public_services_publish_a_port_in_the_configured_modes(plan):
    assert service(plan, "web")["endpointSpec"] == {"mode": "vip", "ports": [{
        "targetPort": 3000, "publishedPort": 3000, "publishMode": "ingress", "protocol": "tcp"}]}
    for private in ("api", "worker", "loner"):
        assert service(plan, private)["endpointSpec"] == {"mode": "vip"}
    host_mode = run_shipyard({"swarm": {**SWARM, "endpointMode": "dnsrr", "publishMode": "host"},
                              "services": [WEB, {**API, "secrets": {}}]})
    assert service(host_mode, "web")["endpointSpec"]["mode"] == "dnsrr"
    assert service(host_mode, "web")["endpointSpec"]["ports"][0]["publishMode"] == "host"
    assert service(host_mode, "api")["endpointSpec"] == {"mode": "dnsrr"}


def test_secrets_are_files_under_run_secrets_and_never_env_values(plan):
    spec_ = container(plan, "api")
    secrets = {s["fileName"]: s for s in spec_["secrets"]}
    assert set(secrets) == {"DB_PASSWORD", "API_TOKEN"}
    assert spec_["env"] == {"DB_PASSWORD_FILE": "/run/secrets/DB_PASSWORD",
                            "API_TOKEN_FILE": "/run/secrets/API_TOKEN"}
    value = secret_document(DB_ARN, ["password"])["password"]
    docker_secrets = {r.inputs["name"]: r for r in plan.of_type(SECRET)}
    db = docker_secrets[secrets["DB_PASSWORD"]["secretName"]]
    assert isinstance(db.inputs["data"], Secret)                 # encrypted in the state
    assert base64.b64decode(reveal(db.inputs["data"])).decode() == value
    assert value not in json.dumps(reveal(spec_))                # the service holds no value
    assert secrets["DB_PASSWORD"]["fileMode"] == 0o400


def test_no_secret_value_appears_in_the_plan_people_read(plan):
    value = secret_document(DB_ARN, ["password"])["password"]
    assert value not in plan_view.to_json(plan) and value not in plan_view.to_text(plan)


def test_a_secret_is_referenced_by_the_id_of_its_docker_secret(plan):
    api = plan.one(SERVICE, "swarm-api")
    for key in ("DB_PASSWORD", "API_TOKEN"):
        secret = plan.one(SECRET, f"swarm-api-{key}")
        assert secret.urn in api.input_sources["taskSpec"]
        assert {"label": "shipyard.env", "value": key} in secret.inputs["labels"]


def test_secret_names_change_with_the_value_version_and_stay_within_swarms_limits():
    first = spec.secret_name("shipyard-prod-api", "DB_PASSWORD", DB_ARN, "v1")
    rotated = spec.secret_name("shipyard-prod-api", "DB_PASSWORD", DB_ARN, "v2")
    other_key = spec.secret_name("shipyard-prod-api", "DB_PASSWORD", f"{DB_ARN}:user::", "v1")
    assert len({first, rotated, other_key}) == 3
    assert first == spec.secret_name("shipyard-prod-api", "DB_PASSWORD", DB_ARN, "v1")
    longest = spec.secret_name("s" * 63, "K" * 100, DB_ARN, "v1")
    for name in (first, longest):  # swarmkit controlapi/common.go validateConfigOrSecretAnnotations
        assert len(name) <= 64 and re.fullmatch(r"[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?",
                                                 name)


def test_a_rotated_secret_replaces_the_docker_secret_under_a_new_name(plan):
    """Every Secret input forces a replacement; the new name keeps it from colliding."""
    secret = plan.one(SECRET, "swarm-api-DB_PASSWORD")
    assert lifecycle.replacing_inputs(SECRET, ["data"]) == {"data"}
    assert lifecycle.violations(secret, production=True) == []
    assert secret.inputs["name"].startswith("shipyard-test-api-")


def test_each_called_service_gets_its_own_network_that_only_it_and_its_callers_join(plan):
    networks = {r.inputs["labels"][1]["value"]: r for r in plan.of_type(NETWORK)}
    assert set(networks) == {"api"}                         # the one service others call
    api_network = networks["api"]
    assert api_network.inputs["driver"] == "overlay" and api_network.inputs["attachable"] is False
    attached = {r.name for r in plan.of_type(SERVICE) if api_network.urn in r.depends_on}
    assert attached == {"swarm-api", "swarm-web", "swarm-worker"}   # not swarm-loner
    assert service(plan, "loner")["taskSpec"]["networksAdvanceds"] == []
    # The callee answers to its plain name there: callers use http://api:8080 as on ECS and EKS.
    [own] = service(plan, "api")["taskSpec"]["networksAdvanceds"]
    assert own["aliases"] == ["api"]
    [to_api] = service(plan, "web")["taskSpec"]["networksAdvanceds"]
    assert "aliases" not in to_api and to_api["id"] == own["id"]


def test_network_names_carry_the_stack_and_the_callee_and_a_digest_of_their_inputs():
    inputs = spec.network_inputs("shipyard-prod", "api")
    assert re.fullmatch(r"shipyard-prod-api-[0-9a-f]{8}", inputs["name"])
    assert spec.network_inputs("shipyard-dev", "api")["name"] != inputs["name"]
    assert len(spec.network_inputs("p" * 60, "api")["name"]) <= 63


def test_ecr_images_pull_with_an_ecr_token_on_the_provider():
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/api:1.0"
    plan = run_shipyard({"swarm": SWARM, "services": [{**API, "image": image}]})
    recorded = plan.one(PROVIDER).inputs["registryAuth"]
    assert isinstance(recorded, Secret)  # Pulumi sends provider config as JSON, all secret
    [auth] = json.loads(recorded.value)
    assert auth["address"] == "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"
    assert auth["username"] == "AWS" and auth["password"].startswith("offline-ecr-token-")
    assert [i.args for i in plan.invokes
            if i.token == "aws:ecr/getAuthorizationToken:getAuthorizationToken"] == [
        {"registryId": "123456789012"}]
    assert "registryAuth" not in run_shipyard({"swarm": SWARM, "services": [WEB, API]}).one(
        PROVIDER).inputs


def test_images_of_the_stacks_own_repositories_pull_with_its_accounts_token_by_digest():
    """Review defect 2: `<url>:<tag>` was pinned by Swarm at create and unpinned by the next
    update. Now the tag's current digest is looked up in ECR at `pulumi up` and sent with it."""
    plan = run_shipyard({"swarm": SWARM, "ecr": {"repositories": [{"name": "acme/api"}]},
                         "services": [{**LONER, "image": None, "repository": "acme/api",
                                       "tag": "1.0"}]})
    [auth] = json.loads(plan.one(PROVIDER).inputs["registryAuth"].value)
    assert auth["address"] == "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"
    [lookup] = [i.args for i in plan.invokes if i.token == "aws:ecr/getImage:getImage"]
    assert lookup == {"registryId": "123456789012", "repositoryName": "acme/api", "imageTag": "1.0"}
    image = container(plan, "loner")["image"]
    assert re.fullmatch(r"123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com/acme/api:1\.0"
                        r"@sha256:[0-9a-f]{64}", image)
    assert stored_by_swarm(image) == image
    # The lookup is ecr:DescribeImages, which ReadOnlyAccess grants (an invoke ci-policy does
    # not know raises UnknownType).
    assert ci_policy.secret_reads(plan.invokes) == ((), ())


def test_the_familiar_form_is_the_moby_clients():
    assert familiar_string("nginx") == "nginx:latest"        # TagNameOnly (config refuses it)
    assert familiar_string("docker.io/library/a/b:1") == "library/a/b:1"   # nested: kept
    assert familiar_string("127.0.0.1:1/app:1") == "127.0.0.1:1/app:1"


def stored_by_swarm(image: str) -> str:
    """What Swarm stores for an image the provider sends (moby v28.5.2 client/service_create.go:
    imageWithTagString, then on create only, QueryRegistry: a tag gets its digest)."""
    stored = familiar_string(image)
    return stored if "@" in stored else f"{stored}@sha256:{'0' * 64}"


@pytest.mark.parametrize("given, sent", [
    ("docker.io/library/nginx@sha256:" + "c" * 64, "nginx@sha256:" + "c" * 64),
    ("library/nginx@sha256:" + "c" * 64, "nginx@sha256:" + "c" * 64),
    ("index.docker.io/acme/api@sha256:" + "c" * 64, "acme/api@sha256:" + "c" * 64),
    ("ghcr.io/acme/api@sha256:" + "c" * 64, "ghcr.io/acme/api@sha256:" + "c" * 64),
    ("ghcr.io/acme/api:1.0@sha256:" + "c" * 64, "ghcr.io/acme/api:1.0@sha256:" + "c" * 64),
    ("docker.io/library/nginx:1.27", "nginx:1.27"),
])
def test_an_image_is_sent_as_swarm_stores_it_so_no_later_up_shows_a_change(given, sent):
    """Review defect 2: the moby client rewrites every image to its familiar form before it
    creates or updates a service, and the provider reads that back: `docker.io/...` or
    `library/...` showed a change at every `pulumi up`."""
    plan = run_shipyard({"swarm": SWARM, "services": [{**LONER, "image": given}]})
    recorded = container(plan, "loner")["image"]
    assert recorded == sent
    if "@" in given:
        assert stored_by_swarm(recorded) == recorded


def test_an_image_by_tag_is_said_to_be_pinned_then_unpinned():
    config = StackConfig.model_validate({"swarm": SWARM, "services": [LONER, API]})
    [note] = [n for n in platform_notes(config) if "by tag" in n]
    assert note.startswith("Docker Swarm runs loner (ghcr.io/acme/loner:1.0) by tag:")
    assert "api" not in note and "give each `image` by digest" in note


def test_the_provider_reaches_the_manager_as_configured(plan):
    assert plan.one(PROVIDER).inputs == {"host": "ssh://deploy@manager.example.com"}
    ssh = run_shipyard({"swarm": {**SWARM, "sshOpts": ["-o", "StrictHostKeyChecking=yes"]},
                        "services": [LONER]})
    assert json.loads(ssh.one(PROVIDER).inputs["sshOpts"]) == ["-o", "StrictHostKeyChecking=yes"]


def test_a_tls_host_takes_its_key_as_a_pulumi_secret():
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
    plan = run_shipyard({"swarm": {"host": "tcp://manager:2376", "caMaterial": pem,
                                   "certMaterial": pem, "keyMaterial": {"secure": "v1:abc"}},
                         "services": [LONER]})
    provider = plan.one(PROVIDER).inputs
    assert provider["host"] == "tcp://manager:2376" and provider["caMaterial"] == pem
    assert isinstance(provider["keyMaterial"], Secret)


def test_a_name_too_long_with_the_stacks_prefix_registers_nothing():
    with pytest.raises(ConfigError) as raised:
        run_shipyard({"swarm": SWARM, "services": [{**LONER, "name": "n" * 50}]})
    assert raised.value.problems == [
        f"shipyard:services[0].name: on Docker Swarm the service is named 'shipyard-test-"
        f"{'n' * 50}' (64 characters: the stack's 'shipyard-test-' and its name), but Swarm "
        "service names are DNS labels of at most 63: shorten it to 49 characters or fewer"]
    assert raised.value.registered == ()


def test_swarm_has_no_autoscaling_and_plan_says_what_runs_instead():
    by_digest = {"image": API["image"]}
    config = StackConfig.model_validate({
        "swarm": SWARM, "kubernetes": {"context": "c"},
        "services": [{**LONER, **by_digest, "replicas": 3},
                     {**WEB, **by_digest, "calls": [], "runOn": ["swarm"]}]})
    assert platform_notes(config) == [
        "`pulumi up` deploys the Swarm services through the Docker API at "
        "ssh://deploy@manager.example.com: the runner must reach that manager",
        "Docker Swarm has no autoscaling: loner runs 3 replicas there (`replicas`), while "
        "Kubernetes scale it",
        "Docker Swarm has no autoscaling: each service runs its `replicas` (loner 3, web 2)"]


def test_the_swarm_controls_pass_on_the_plan(plan):
    results = {r.control.id: r for r in controls.evaluate(check.resources_of(plan))}
    for control in ("SWARM.1", "SWARM.2", "SWARM.3", "SWARM.4"):
        assert results[control].status == "pass" and len(results[control].findings) == 4


def test_the_plan_costs_nothing_on_aws_and_says_so(plan):
    [line] = cost.estimate(plan).lines
    assert line.item == "Docker Swarm services" and line.monthly == 0
    assert line.quantity == "4 services, 9 tasks" and "no AWS cost" in line.note


def test_the_picture_shows_the_published_port_and_the_calls(plan):
    picture = traffic.of_plan(plan)
    flows = {(f.kind, picture.node(f.source).label.split("\n")[0] if f.source != "internet"
              else "internet", picture.node(f.target).label.split("\n")[0], f.label)
             for f in picture.flows}
    assert flows == {
        ("ingress", "internet", "shipyard-test-web", "TCP :3000 (ingress mode)"),
        ("call", "shipyard-test-web", "shipyard-test-api", "http://api:8080"),
        ("call", "shipyard-test-worker", "shipyard-test-api", "http://api:8080")}
    assert [g.kind for g in picture.groups] == ["swarm"]


def test_the_worked_example_plans_on_swarm():
    plan = engine.run("swarm", stack_file=PROJECT / "examples" / "two-service-app" /
                      "Pulumi.swarm.yaml")
    assert sorted(r.inputs["name"] for r in plan.of_type(SERVICE)) == [
        "shipyard-swarm-api", "shipyard-swarm-web"]
    assert lifecycle.plan_violations(plan, production=True) == []


def test_service_spec_helpers_keep_swarm_defaults():
    swarm, api = Swarm(), Service.model_validate({"name": "api", "image": "x:1", "cpu": 1.5})
    assert (swarm.endpoint_mode, swarm.publish_mode, swarm.enabled) == ("vip", "ingress", False)
    assert spec.resources(api)["limits"]["nano_cpus"] == 1_500_000_000
    assert "ports" not in spec.endpoint_spec(api, swarm)


def test_settings_are_written_as_the_provider_reads_them_back():
    """No change on every preview: durations as Go's Duration.String() less trailing zero units
    (shortDur), the failure ratio with one decimal, the tmpfs mode as its permission bits
    (resource_docker_service_structures.go: shortDur, flattenServiceUpdateOrRollbackConfig,
    flattenServiceMounts)."""
    durations = [*(spec.UPDATE[k] for k in ("delay", "monitor")),
                 *(spec.ROLLBACK[k] for k in ("delay", "monitor")),
                 *(spec.HEALTH_CHECK[k] for k in ("interval", "timeout", "start_period")),
                 spec.STOP_GRACE_PERIOD]
    assert all(re.fullmatch(r"[1-9]\d?s|0s", d) for d in durations)
    assert spec.UPDATE["max_failure_ratio"] == spec.ROLLBACK["max_failure_ratio"] == "0.0"
    assert spec.SCRATCH_MODE == spec.SCRATCH_MODE & 0o777


def test_a_change_of_calls_replaces_the_service_and_it_goes_first(plan):
    """Review defect 1: every field of a networks_advanced element is ForceNew, so a caller
    gaining a callee replaces its service; created before the old one was deleted, the
    replacement had its name, which Swarm refuses. Now the row says so, and the service is
    replaced delete-first."""
    before = json.loads(plan_view.to_json(plan))
    after = json.loads(plan_view.to_json(run_shipyard(
        {"swarm": SWARM, "services": [WEB, API, WORKER, {**LONER, "calls": ["api"]}]})))
    changes = {c.key: c for c in diff.compare(before, after)}
    loner = changes[f"{SERVICE} swarm-loner"]
    assert diff.replacements(loner) == {"taskSpec.networksAdvanceds"}
    for path in ("taskSpec.networksAdvanceds[0].id", "taskSpec.networksAdvanceds[1].aliases[0]",
                 "taskSpec.containerSpec.hosts[0].ip", "taskSpec.containerSpec.sysctl"):
        assert lifecycle.replacing_inputs(SERVICE, [f".{path}"]), path
    assert lifecycle.replacing_inputs(SERVICE, [".mode.replicated.replicas",
                                                ".taskSpec.containerSpec.image"]) == set()
    for resource in plan.of_type(SERVICE):
        assert resource.delete_before_replace is True
        assert lifecycle.violations(resource, production=True) == []
    created_first = dataclasses.replace(plan.one(SERVICE, "swarm-api"), delete_before_replace=False)
    assert "replacement would collide" in lifecycle.violations(created_first, production=True)[0]


def test_two_long_service_names_sharing_their_start_get_their_own_secrets():
    """Review defect 4: secret names keep 51 characters of the service's name; two services
    alike in those, reading one secret, got one name, which Swarm refuses."""
    stem = "payments-reconciliation-worker-"            # 31 + 7 = 38: 52 with 'shipyard-test-'
    services = [{**LONER, "name": f"{stem}{suffix}", "secrets": {"DB_PASSWORD": DB_ARN}}
                for suffix in ("alpha-1", "alpha-2")]
    plan = run_shipyard({"swarm": SWARM, "services": services})
    names = [r.inputs["name"] for r in plan.of_type(SECRET)]
    assert len(names) == len(set(names)) == 2
    assert all(len(n) <= 64 and n.startswith(f"shipyard-test-{stem}alpha-") for n in names)
    # A name that fits keeps the form it had: no secret of an existing stack is renamed.
    assert spec.secret_name("shipyard-prod-api", "K", DB_ARN, "v1") == (
        "shipyard-prod-api-" + spec._digest("K", DB_ARN, "v1", length=12))


@pytest.mark.parametrize("variable", ["DOCKER_CONTEXT", "DOCKER_CERT_PATH", "DOCKER_KEY_MATERIAL"])
def test_a_deployer_environment_that_would_reroute_the_provider_registers_nothing(
        monkeypatch, variable):
    """Review defect 6: the Docker provider takes DOCKER_CONTEXT over `host`, and DOCKER_CERT_PATH
    or DOCKER_*_MATERIAL turn on TLS even for an ssh:// host (terraform-provider-docker v4.5.0
    provider.go DefaultFuncs, config.go MakeClient)."""
    monkeypatch.setenv(variable, "/home/deploy/.docker/x")
    with pytest.raises(ConfigError) as raised:
        run_shipyard({"swarm": SWARM, "services": [LONER]})
    [problem] = raised.value.problems
    assert problem.startswith(f"shipyard:swarm.host: {variable} is set in the environment")
    assert problem.endswith(f"unset it (`unset {variable}`) where `pulumi up` runs")
    assert "/home/deploy" not in problem and raised.value.registered == ()


def test_without_a_host_the_deployers_docker_environment_is_the_target(monkeypatch):
    monkeypatch.setenv("DOCKER_CONTEXT", "swarm-prod")
    monkeypatch.setenv("DOCKER_CERT_PATH", "/home/deploy/.docker/tls")
    plan = run_shipyard({"swarm": {"enabled": True}, "services": [LONER]})
    assert len(plan.of_type(SERVICE)) == 1
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
    monkeypatch.delenv("DOCKER_CONTEXT")
    monkeypatch.delenv("DOCKER_CERT_PATH")
    monkeypatch.setenv("DOCKER_KEY_MATERIAL", pem)  # ignored: the stack's own material is set
    tls = run_shipyard({"swarm": {"host": "tcp://manager:2376", "caMaterial": pem,
                                  "certMaterial": pem, "keyMaterial": {"secure": "v1:abc"}},
                        "services": [LONER]})
    assert len(tls.of_type(SERVICE)) == 1
