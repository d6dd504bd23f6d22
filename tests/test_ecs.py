"""ECS: cluster capacity (Fargate, Fargate Spot, EC2), services, IAM, networking, names."""

from __future__ import annotations

import base64
import json

import botocore.session
import pytest
from botocore.validate import ParamValidator
from parliament import analyze_policy_string

from shipyard.aws.ami import ECS_AL2023_ARM, ECS_AL2023_X86, is_graviton
from shipyard.config import ConfigError, parse
from shipyard.platforms.ecs.rules import task_definition_bytes
from shipyard.review.engine import Plan
from tests.conftest import run_shipyard

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-url-AbCdEf"
PARAMETER = "arn:aws:ssm:us-east-1:123456789012:parameter/app/key"
API = {"name": "api", "image": "ghcr.io/acme/api:1.2.3", "port": 8080, "public": True,
       "healthCheckPath": "/healthz", "secrets": {"DB_URL": SECRET, "KEY": PARAMETER},
       "env": {"MODE": "prod", "A": "1"}}
WORKER = {"name": "worker", "image": "ghcr.io/acme/worker:2.0.0", "cpu": 1, "memory": 3000}
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
ECS_MODEL = botocore.session.get_session().get_service_model("ecs")


def ecs(capacity="fargate", services=(API, WORKER), **settings) -> Plan:
    return run_shipyard({"ecs": {"enabled": True, "capacity": capacity, **settings},
                         "services": list(services)})


@pytest.fixture(scope="module")
def fargate() -> Plan:
    return ecs()


@pytest.fixture(scope="module")
def spot() -> Plan:
    return ecs("fargateSpot", onDemandBase=1)


@pytest.fixture(scope="module")
def ec2() -> Plan:
    # Graviton instances: the images say they have arm64 (the default is amd64 only).
    return ecs("ec2", services=[{**s, "architectures": ["amd64", "arm64"]} for s in (API, WORKER)],
               ec2={"instanceType": "m7g.large", "minSize": 1, "maxSize": 5})


# --- cluster and capacity -------------------------------------------------------------------

def test_container_insights_is_on_by_default(fargate):
    cluster = fargate.one("aws:ecs/cluster:Cluster")
    assert cluster.inputs["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert cluster.inputs["name"] == "shipyard-test"


def test_container_insights_can_be_turned_off():
    cluster = ecs(containerInsights=False).one("aws:ecs/cluster:Cluster")
    assert cluster.inputs["settings"] == [{"name": "containerInsights", "value": "disabled"}]


def test_fargate_is_the_default_capacity(fargate):
    providers = fargate.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert providers.inputs["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert providers.inputs["defaultCapacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
    assert fargate.of_type("aws:autoscaling/group:Group") == []


def test_fargate_spot_puts_all_but_the_on_demand_base_on_spot(spot):
    expected = [{"capacityProvider": "FARGATE", "weight": 0, "base": 1},
                {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    providers = spot.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert providers.inputs["defaultCapacityProviderStrategies"] == expected
    for service in spot.of_type(SERVICE):
        assert service.inputs["capacityProviderStrategies"] == expected


def test_fargate_spot_on_demand_base_defaults_to_zero():
    strategy = ecs("fargateSpot").one(SERVICE, "api").inputs["capacityProviderStrategies"]
    assert strategy[0] == {"capacityProvider": "FARGATE", "weight": 0, "base": 0}


def test_ec2_launch_template_is_hardened(ec2):
    template = ec2.one("aws:ec2/launchTemplate:LaunchTemplate")
    inputs = template.inputs
    assert inputs["metadataOptions"] == {"httpEndpoint": "enabled", "httpTokens": "required",
                                         "httpPutResponseHopLimit": 1,
                                         "instanceMetadataTags": "disabled"}
    assert inputs["networkInterfaces"][0]["associatePublicIpAddress"] == "false"
    ebs = inputs["blockDeviceMappings"][0]["ebs"]
    assert ebs["encrypted"] == "true" and ebs["volumeType"] == "gp3" and ebs["volumeSize"] == 30
    assert inputs["instanceType"] == "m7g.large"
    script = base64.b64decode(inputs["userData"]).decode()
    assert "ECS_CLUSTER=shipyard-test\n" in script and "ECS_AWSVPC_BLOCK_IMDS=true" in script


def test_ec2_ami_comes_from_the_al2023_ssm_parameter_for_the_architecture(ec2):
    template = ec2.one("aws:ec2/launchTemplate:LaunchTemplate")
    assert template.inputs["imageId"].startswith("ami-")
    x86 = ecs("ec2", ec2={"instanceType": "c6i.large"}).one("aws:ec2/launchTemplate:LaunchTemplate")
    assert x86.inputs["imageId"] != template.inputs["imageId"]


@pytest.mark.parametrize("instance_type, graviton", [
    ("t4g.medium", True), ("m7g.large", True), ("c7gn.xlarge", True), ("x2gd.large", True),
    ("a1.large", True), ("m6i.large", False), ("g5.xlarge", False), ("t3.medium", False), ("c6in.large", False)])
def test_graviton_instance_types_get_the_arm64_ami(instance_type, graviton):
    assert is_graviton(instance_type) is graviton
    from shipyard.aws.ami import ecs_ami_parameter
    assert ecs_ami_parameter(instance_type) == (ECS_AL2023_ARM if graviton else ECS_AL2023_X86)


def test_ec2_instances_have_an_ecs_and_ssm_instance_role(ec2):
    policies = sorted(a.inputs["policyArn"] for a in ec2.of_type(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if "instance" in a.name)
    assert policies == ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
                        "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"]
    role = ec2.one("aws:iam/role:Role", "shipyard-test-instance")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert ec2.one("aws:iam/instanceProfile:InstanceProfile")


def test_ec2_group_spans_every_private_subnet_and_refreshes_instances(ec2):
    group = ec2.one("aws:autoscaling/group:Group")
    assert len(group.inputs["vpcZoneIdentifiers"]) == 2
    assert all(s.startswith("subnet-") for s in group.inputs["vpcZoneIdentifiers"])
    assert (group.inputs["minSize"], group.inputs["maxSize"]) == (1, 5)
    assert group.inputs["protectFromScaleIn"] is True
    assert group.inputs["forceDelete"] is True
    assert group.inputs["instanceRefresh"]["strategy"] == "Rolling"
    assert "desiredCapacity" in group.ignore_changes


def test_ec2_capacity_provider_manages_scaling_termination_and_draining(ec2):
    provider = ec2.one("aws:ecs/capacityProvider:CapacityProvider").inputs["autoScalingGroupProvider"]
    assert provider["managedTerminationProtection"] == "ENABLED"
    assert provider["managedDraining"] == "ENABLED"
    assert provider["managedScaling"]["status"] == "ENABLED"
    assert provider["managedScaling"]["targetCapacity"] == 100
    strategy = ec2.one(SERVICE, "api").inputs["capacityProviderStrategies"]
    assert strategy == [{"capacityProvider": "shipyard-test-ec2-" + strategy[0]["capacityProvider"][-7:],
                         "weight": 1, "base": 0}]


def test_destroy_order_removes_services_before_their_capacity(ec2):
    """Services depend on the cluster's capacity association, which depends on the capacity
    provider, which depends on the group: `pulumi destroy` unwinds in that order, and the launch
    template depends on the cluster, so the cluster goes last."""
    ready = ec2.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    for service in ec2.of_type(SERVICE):
        assert ready.urn in service.depends_on
    provider = ec2.one("aws:ecs/capacityProvider:CapacityProvider")
    assert provider.urn in ready.depends_on
    group = ec2.one("aws:autoscaling/group:Group")
    assert group.urn in provider.depends_on
    cluster = ec2.one("aws:ecs/cluster:Cluster")
    assert cluster.urn in ec2.one("aws:ec2/launchTemplate:LaunchTemplate").depends_on


def test_ec2_tasks_match_the_instance_architecture(ec2):
    task = ec2.one(TASK, "api")
    assert task.inputs["requiresCompatibilities"] == ["EC2"]
    assert task.inputs["runtimePlatform"]["cpuArchitecture"] == "ARM64"
    assert "platformVersion" not in ec2.one(SERVICE, "api").inputs


# --- services ---------------------------------------------------------------------------------

def test_tasks_are_right_sized(fargate):
    assert (fargate.one(TASK, "api").inputs["cpu"], fargate.one(TASK, "api").inputs["memory"]) == ("256", "512")
    assert (fargate.one(TASK, "worker").inputs["cpu"], fargate.one(TASK, "worker").inputs["memory"]) == ("1024", "3072")


def _containers(task) -> list[dict]:
    return json.loads(task.inputs["containerDefinitions"])


def _register_task_definition_request(task) -> dict:
    inputs = task.inputs
    return {"family": inputs["family"], "taskRoleArn": inputs["taskRoleArn"],
            "executionRoleArn": inputs["executionRoleArn"], "networkMode": inputs["networkMode"],
            "containerDefinitions": _containers(task), "volumes": inputs["volumes"],
            "requiresCompatibilities": inputs["requiresCompatibilities"], "cpu": inputs["cpu"],
            "memory": inputs["memory"], "runtimePlatform": inputs["runtimePlatform"]}


@pytest.mark.parametrize("capacity", ["fargate", "fargateSpot", "ec2"])
def test_task_definitions_validate_against_the_ecs_api_model(capacity):
    """botocore's RegisterTaskDefinition input shape is AWS's own schema for these documents."""
    shape = ECS_MODEL.operation_model("RegisterTaskDefinition").input_shape
    for task in ecs(capacity).of_type(TASK):
        report = ParamValidator().validate(_register_task_definition_request(task), shape)
        assert not report.has_errors(), report.generate_report()


def test_validation_catches_what_aws_would_reject():
    shape = ECS_MODEL.operation_model("RegisterTaskDefinition").input_shape
    bad = {"family": "x", "containerDefinitions": [{"name": "x", "portMappings": [
        {"containerPort": "80", "protocol": "tcpp"}], "bogus": True}]}
    assert ParamValidator().validate(bad, shape).has_errors()


def test_container_definition_is_hardened_and_complete(fargate):
    [container] = _containers(fargate.one(TASK, "api"))
    assert container["image"] == "ghcr.io/acme/api:1.2.3"
    assert container["essential"] is True
    assert container["privileged"] is False
    assert container["readonlyRootFilesystem"] is True
    assert container["portMappings"] == [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}]
    assert container["mountPoints"] == [{"sourceVolume": "scratch", "containerPath": "/tmp", "readOnly": False}]
    assert container["environment"] == [{"name": "A", "value": "1"}, {"name": "MODE", "value": "prod"}]
    assert container["secrets"] == [{"name": "DB_URL", "valueFrom": SECRET},
                                    {"name": "KEY", "valueFrom": PARAMETER}]
    assert container["logConfiguration"] == {"logDriver": "awslogs", "options": {
        "awslogs-group": "/ecs/shipyard-test/api", "awslogs-region": "us-east-1",
        "awslogs-stream-prefix": "api"}}
    assert "http://localhost:8080/healthz" in container["healthCheck"]["command"][1]
    assert fargate.one(TASK, "api").inputs["volumes"] == [{"name": "scratch"}]
    assert fargate.one(TASK, "api").inputs["networkMode"] == "awsvpc"


def test_secret_values_never_appear_in_plain_environment(fargate):
    for task in fargate.of_type(TASK):
        for container in _containers(task):
            assert all(not e["value"].startswith("arn:aws:secretsmanager") for e in container["environment"])


def test_service_settings(fargate):
    service = fargate.one(SERVICE, "api").inputs
    assert service["networkConfiguration"]["assignPublicIp"] is False
    assert all(s.startswith("subnet-") for s in service["networkConfiguration"]["subnets"])
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert (service["deploymentMinimumHealthyPercent"], service["deploymentMaximumPercent"]) == (100, 200)
    assert service["platformVersion"] == "LATEST"
    assert service["waitForSteadyState"] is True
    assert service["enableExecuteCommand"] is False
    assert service["desiredCount"] == 2


def test_log_groups_have_retention(fargate):
    group = fargate.one("aws:cloudwatch/logGroup:LogGroup", "api-logs")
    assert group.inputs["retentionInDays"] == 30 and group.inputs["name"] == "/ecs/shipyard-test/api"


def test_exec_is_opt_in_and_grants_only_the_ssm_channel():
    plan = ecs(enableExec=True, services=[WORKER])
    assert plan.one(SERVICE).inputs["enableExecuteCommand"] is True
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", "worker-exec").inputs["policy"])
    assert {a.split(":")[0] for a in policy["Statement"][0]["Action"]} == {"ssmmessages"}
    assert _containers(plan.one(TASK))[0]["linuxParameters"] == {"initProcessEnabled": True}


# --- IAM ----------------------------------------------------------------------------------------

def _policies(plan: Plan) -> list[dict]:
    return [json.loads(p.inputs["policy"]) for p in plan.of_type("aws:iam/rolePolicy:RolePolicy")]


@pytest.mark.parametrize("capacity", ["fargate", "ec2"])
def test_iam_policies_lint_clean_with_parliament(capacity):
    plan = ecs(capacity, enableExec=True)
    for policy in _policies(plan):
        findings = analyze_policy_string(json.dumps(policy)).findings
        assert findings == [], [(f.issue, f.detail) for f in findings]


def test_execution_role_reads_exactly_the_listed_secrets(fargate):
    policy = json.loads(fargate.one("aws:iam/rolePolicy:RolePolicy", "api-secrets").inputs["policy"])
    resources = sorted(r for s in policy["Statement"] for r in s["Resource"])
    assert resources == sorted([SECRET, PARAMETER])
    actions = sorted(a for s in policy["Statement"] for a in s["Action"])
    assert actions == ["secretsmanager:GetSecretValue", "ssm:GetParameters"]
    on_execution_role = [p.name for p in fargate.of_type("aws:iam/rolePolicy:RolePolicy")
                         if p.inputs["role"].startswith("api-execution-")]
    assert on_execution_role == ["api-secrets"]


def test_task_role_has_no_permissions_by_default(fargate):
    task_role = fargate.one("aws:iam/role:Role", "api-task")
    attached = [a for a in fargate.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if a.name.startswith("api-task")]
    assert attached == [] and "api-task" not in [p.name for p in fargate.of_type("aws:iam/rolePolicy:RolePolicy")]
    trust = json.loads(task_role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_execution_role_has_the_task_execution_policy(fargate):
    attachment = fargate.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "api-execution")
    assert attachment.inputs["policyArn"] == \
        "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


# --- network exposure ---------------------------------------------------------------------------

def test_only_the_alb_accepts_internet_traffic_and_only_on_80_and_443():
    plan = ecs(loadBalancer={"certificateArn":
                             "arn:aws:acm:us-east-1:123456789012:certificate/abc"})
    ingress = plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    open_to_world = sorted(r.inputs["fromPort"] for r in ingress if r.inputs.get("cidrIpv4") == "0.0.0.0/0")
    assert open_to_world == [80, 443]
    assert all(r.name.startswith("shipyard-test-alb") for r in ingress if r.inputs.get("cidrIpv4"))
    for group in plan.of_type("aws:ec2/securityGroup:SecurityGroup"):
        assert group.inputs.get("ingress", []) == []  # no inline rules anywhere


def test_services_are_reachable_only_from_the_alb_on_their_port(fargate):
    alb_group = fargate.one("aws:ec2/securityGroup:SecurityGroup", "shipyard-test-alb")
    rule = fargate.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "api-from-alb")
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (8080, 8080)
    assert rule.inputs["referencedSecurityGroupId"].startswith("sg-")
    assert "cidrIpv4" not in rule.inputs
    assert alb_group.urn in rule.depends_on
    worker_rules = [r for r in fargate.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                    if r.name.startswith("worker")]
    assert worker_rules == []  # private services accept no inbound traffic


# --- load balancer ------------------------------------------------------------------------------

def test_alb_is_hardened(fargate):
    balancer = fargate.one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert balancer["internal"] is False and balancer["loadBalancerType"] == "application"
    assert balancer["dropInvalidHeaderFields"] is True
    assert balancer["desyncMitigationMode"] == "defensive"
    assert balancer["enableDeletionProtection"] is False
    assert len(balancer["subnets"]) == 2


def test_alb_deletion_protection_in_production():
    plan = run_shipyard({"production": True, "ecs": {"enabled": True}, "services": [API]})
    assert plan.one("aws:lb/loadBalancer:LoadBalancer").inputs["enableDeletionProtection"] is True


def test_https_with_a_certificate_and_http_redirects():
    plan = ecs(loadBalancer={"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc"})
    listeners = {l.inputs["port"]: l.inputs for l in plan.of_type("aws:lb/listener:Listener")}
    assert listeners[443]["protocol"] == "HTTPS"
    assert listeners[443]["certificateArn"].endswith("certificate/abc")
    assert listeners[443]["sslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    assert listeners[80]["defaultActions"][0]["redirect"] == {"protocol": "HTTPS", "port": "443",
                                                              "statusCode": "HTTP_301"}
    assert plan.outputs["ecsUrls"]["api"].startswith("https://")


def test_plain_http_without_a_certificate(fargate):
    [listener] = fargate.of_type("aws:lb/listener:Listener")
    assert (listener.inputs["port"], listener.inputs["protocol"]) == (80, "HTTP")
    assert fargate.outputs["ecsUrls"]["api"].startswith("http://")


def test_target_group_checks_the_health_path(fargate):
    group = fargate.one("aws:lb/targetGroup:TargetGroup").inputs
    assert group["targetType"] == "ip" and group["port"] == 8080
    assert group["healthCheck"]["path"] == "/healthz"


def test_no_alb_without_public_services():
    plan = ecs(services=[WORKER])
    assert plan.of_type("aws:lb/loadBalancer:LoadBalancer") == []
    assert plan.outputs["ecsUrls"] == {}


def test_host_and_path_routing_with_specific_rules_first():
    services = [{**API, "name": "site", "path": "/*"},
                {**API, "name": "docs", "path": "/docs/*"},
                {**API, "name": "admin", "host": "admin.example.com"}]
    plan = ecs(services=services)
    rules = {r.name: r.inputs for r in plan.of_type("aws:lb/listenerRule:ListenerRule")}
    assert rules["admin-route"]["priority"] < rules["docs-route"]["priority"] < rules["site-route"]["priority"]
    assert {"hostHeader": {"values": ["admin.example.com"]}} in rules["admin-route"]["conditions"]
    assert plan.outputs["ecsUrls"]["admin"] == "http://admin.example.com"


def test_sixty_three_character_names_still_give_valid_aws_names():
    long_name = "a" + "b" * 61 + "c"
    plan = ecs(services=[{**API, "name": long_name}])
    for balancer in plan.of_type("aws:lb/loadBalancer:LoadBalancer") + plan.of_type("aws:lb/targetGroup:TargetGroup"):
        physical = f"{balancer.name}-abcdefg"  # Pulumi appends "-" and 7 characters
        assert len(physical) <= 32 and not physical.startswith("-")
        assert all(c.isalnum() or c == "-" for c in physical)
    for role in plan.of_type("aws:iam/role:Role"):
        assert len(role.name) + 8 <= 64
    service = plan.one(SERVICE)
    assert service.inputs["name"] == long_name
    assert len(plan.one(TASK).inputs["family"]) <= 255


# --- autoscaling --------------------------------------------------------------------------------

def test_target_tracking_on_cpu_and_memory(fargate):
    target = fargate.one("aws:appautoscaling/target:Target", "api-scaling").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 6)  # replicas .. 3x replicas
    assert target["resourceId"] == "service/shipyard-test/api"
    metrics = {p.name: p.inputs["targetTrackingScalingPolicyConfiguration"] for p in
               fargate.of_type("aws:appautoscaling/policy:Policy") if p.name.startswith("api")}
    assert metrics["api-cpu"]["targetValue"] == 70
    assert metrics["api-cpu"]["predefinedMetricSpecification"]["predefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    assert metrics["api-memory"]["targetValue"] == 80
    assert "desiredCount" in fargate.one(SERVICE, "api").ignore_changes


def test_autoscaling_bounds_from_config():
    plan = ecs(services=[WORKER], autoscaling={"minReplicas": 1, "maxReplicas": 9,
                                               "targetCpuPercent": 50, "targetMemoryPercent": None})
    target = plan.one("aws:appautoscaling/target:Target").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (1, 9)
    assert [p.name for p in plan.of_type("aws:appautoscaling/policy:Policy")] == ["worker-cpu"]


def test_autoscaling_can_be_disabled():
    plan = ecs(services=[WORKER], autoscaling={"enabled": False})
    assert plan.of_type("aws:appautoscaling/target:Target") == []
    assert plan.one(SERVICE).ignore_changes == ()


def test_ecs_outputs(fargate):
    assert fargate.outputs["ecsClusterName"] == "shipyard-test"
    assert fargate.outputs["ecsServices"] == {"api": "api", "worker": "worker"}
    assert fargate.outputs["ecsLogGroups"]["worker"] == "/ecs/shipyard-test/worker"
    assert set(fargate.outputs["ecsUrls"]) == {"api"}


def test_json_key_references_grant_read_on_the_secret_itself():
    reference = SECRET + ":password:AWSCURRENT:"
    plan = ecs(services=[{**WORKER, "secrets": {"DB_PASSWORD": reference}}])
    container = _containers(plan.one(TASK))[0]
    assert container["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": reference}]
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", "worker-secrets").inputs["policy"])
    assert policy["Statement"][0]["Resource"] == [SECRET]


def test_instances_launch_from_the_templates_latest_version(ec2):
    group = ec2.one("aws:autoscaling/group:Group").inputs
    assert group["launchTemplate"]["version"] == "1"
    assert group["launchTemplate"]["id"].startswith("lt-")


def _sized(config: dict, total: int) -> dict:
    """`config` with its first service's one env value padded so its container definitions
    take exactly `total` bytes (as the size rule counts them)."""
    base = parse(config, "us-east-1")
    padding = total - task_definition_bytes(base, base.services[0], "us-east-1")
    service = {**config["services"][0], "env": {"PAD": "x" * padding}}
    return {**config, "services": [service, *config["services"][1:]]}


@pytest.mark.parametrize("size, fits", [(64 * 1024, True), (64 * 1024 + 1, False)])
def test_container_definitions_are_held_to_ecs_task_definition_size(size, fits):
    """ECS service quotas, "Task definition size": 64 KiB. At 65,536 bytes the config passes;
    one byte more is a config error naming the service, before anything is registered."""
    config = _sized({"ecs": {"enabled": True, "enableExec": True},
                     "services": [{"name": "api", "image": "nginx:1.27", "env": {"PAD": ""},
                                   "secrets": {"DB": SECRET}}]}, size)
    if fits:
        parse(config, "us-east-1")
        return
    with pytest.raises(ConfigError) as raised:
        parse(config, "us-east-1")
    assert raised.value.problems == [
        "shipyard:services[0]: service 'api': its ECS container definitions take 65,537 bytes, "
        "over the 65,536 (64 KiB) ECS accepts for a task definition (ECS service quotas, "
        "\"Task definition size\"); env takes 64,589 of them: move large values into secrets "
        "(services[].secrets) or a file in the image"]


def test_the_size_rule_measures_what_the_task_definition_sends():
    """The rule counts the containerDefinitions string the ECS component registers, for the
    longest stack name (40 characters) and every image form: built (by digest), repository +
    tag, and a plain image with a called service's Service Connect port mapping."""
    shipyard = {"ecs": {"enabled": True},
                "ecr": {"repositories": [{"name": "shop/api"}, {"name": "shop/worker"}]},
                "services": [
                    {"name": "api", "repository": "shop/api",
                     "build": {"context": "examples/hello-api"}},
                    {"name": "worker", "repository": "shop/worker", "tag": "1.0", "calls": ["web"]},
                    {"name": "web", "image": "nginx:1.27", "env": {"MODE": "x" * 300}}]}
    plan = run_shipyard(shipyard, stack="s" * 40)
    config = parse(shipyard, "us-east-1")
    sent = {task.name: len(task.inputs["containerDefinitions"].encode())
            for task in plan.of_type("aws:ecs/taskDefinition:TaskDefinition")}
    assert sent == {s.name: task_definition_bytes(config, s, "us-east-1") for s in config.services}
