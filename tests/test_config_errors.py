"""GIVEN an invalid stack config WHEN the program runs THEN it stops with one line per problem,
naming the full key, and registers nothing."""

from __future__ import annotations

import pytest

from shipyard.config import ConfigError
from tests.conftest import run_shipyard

ECS = {"enabled": True}
EKS_OK = {"enabled": True, "publicAccessCidrs": ["203.0.113.0/24"],
          "nodeGroups": [{"name": "general"}]}
SERVICE = {"name": "api", "image": "nginx:1.27"}
LONG_REPOSITORY = "team/" + "c" * 215
KUBECONFIG_OK = "apiVersion: v1\nclusters:\n- name: c\n  cluster: {server: 'https://k8s.example'}\n"

CASES = [
    ("unknown top-level key", {"netwrok": {}},
     "shipyard:netwrok: unknown key; did you mean 'network'?"),
    ("unknown nested key", {"eks": {**EKS_OK, "nodeGroups": [{"name": "a", "tpye": "managed"}]}},
     "shipyard:eks.nodeGroups[0].tpye: unknown key; did you mean 'type'?"),
    ("VPC too large", {"network": {"cidrBlock": "10.0.0.0/8"}},
     "shipyard:network.cidrBlock: must have a prefix length between /16 and /22"),
    ("VPC CIDR with host bits", {"network": {"cidrBlock": "10.0.0.1/16"}},
     "shipyard:network.cidrBlock: must be an IPv4 CIDR block such as 10.0.0.0/16 "
     "(10.0.0.1/16 has host bits set)"),
    ("too many AZs", {"network": {"availabilityZones": 7}},
     "shipyard:network.availabilityZones: input should be less than or equal to 6"),
    ("AZ count not a number", {"network": {"availabilityZones": "two"}},
     "shipyard:network.availabilityZones: input should be a valid integer, unable to parse "
     "string as an integer"),
    ("unknown NAT strategy", {"network": {"natGateways": "many"}},
     "shipyard:network.natGateways: input should be 'none', 'single' or 'perAz'"),
    ("existing VPC partly given", {"network": {"vpcId": "vpc-0123456789abcdef0"}},
     "shipyard:network.privateSubnetIds: required with the other existing-VPC keys (vpcId, "
     "publicSubnetIds, privateSubnetIds go together)"),
    ("retention CloudWatch rejects", {"network": {"flowLogRetentionDays": 10}},
     "shipyard:network.flowLogRetentionDays: must be one of CloudWatch's retention periods: "
     "1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, "
     "2922, 3288, 3653"),
    ("no egress for private subnets", {"ecs": ECS, "network": {"natGateways": "none"}},
     "shipyard:network.natGateways: 'none' leaves private subnets without egress, but containers "
     "there (Amazon ECS) must pull images and reach AWS APIs: use 'single' or 'perAz', or set "
     "network.vpcEndpoints"),
    ("ECR name with capitals", {"ecr": {"repositories": [{"name": "Shop/API"}]}},
     "shipyard:ecr.repositories[0].name: must be lowercase letters, digits and . _ - / (each "
     "separator between alphanumerics), as ECR requires"),
    ("duplicate repositories", {"ecr": {"repositories": [{"name": "api"}, {"name": "api"}]}},
     "shipyard:ecr.repositories[1].name: duplicate name 'api' (also at index 0)"),
    ("bad pull account", {"ecr": {"repositories": [{"name": "api", "pullAccountIds": ["12345"]}]}},
     "shipyard:ecr.repositories[0].pullAccountIds[0]: must be a 12-digit AWS account id"),
    ("lifecycle keeps no image", {"ecr": {"repositories": [{"name": "api", "keepLastImages": 0}]}},
     "shipyard:ecr.repositories[0].keepLastImages: input should be greater than or equal to 1"),
    ("service name not a DNS label", {"ecs": ECS, "services": [{**SERVICE, "name": "Api_1"}]},
     "shipyard:services[0].name: must start with a lowercase letter and contain only lowercase "
     "letters, digits and '-' (a DNS label)"),
    ("service name too long", {"ecs": ECS, "services": [{**SERVICE, "name": "a" * 64}]},
     "shipyard:services[0].name: string should have at most 63 characters"),
    ("image without tag", {"ecs": ECS, "services": [{**SERVICE, "image": "nginx"}]},
     "shipyard:services[0].image: needs a fixed tag or digest (e.g. nginx:1.27), not the "
     "implicit 'latest'"),
    ("image on latest", {"ecs": ECS, "services": [{**SERVICE, "image": "nginx:latest"}]},
     "shipyard:services[0].image: must not use the mutable 'latest' tag: pin a version or digest"),
    ("image and repository", {"ecs": ECS, "ecr": {"repositories": [{"name": "api"}]},
                              "services": [{**SERVICE, "repository": "api", "tag": "1"}]},
     "shipyard:services[0].image: give only one of image, repository + tag, or build "
     "(also set: repository)"),
    ("undeclared repository", {"ecs": ECS, "ecr": {"repositories": [{"name": "web"}]},
                               "services": [{"name": "api", "repository": "api", "tag": "1"}]},
     "shipyard:services[0].repository: 'api' is not declared in shipyard:ecr.repositories "
     "(declared: web)"),
    ("repository without tag", {"ecs": ECS, "ecr": {"repositories": [{"name": "api"}]},
                                "services": [{"name": "api", "repository": "api"}]},
     "shipyard:services[0].tag: required with repository"),
    ("runOn a platform the stack lacks", {"ecs": ECS, "services": [{**SERVICE, "runOn": ["eks"]}]},
     "shipyard:services[0].runOn[0]: 'eks' is not enabled in this stack (enabled: ecs)"),
    ("service with nowhere to run", {"services": [SERVICE]},
     "shipyard:services[0].name: no compute platform is enabled to run it (enable shipyard:ecs, "
     "shipyard:eks, shipyard:kubernetes, shipyard:swarm or shipyard:nomad)"),
    ("bigger than any Fargate task", {"ecs": ECS, "services": [{**SERVICE, "cpu": 32}]},
     "shipyard:services[0].cpu: 32 vCPU with 512 MiB exceeds the largest Fargate task "
     "(16 vCPU, 122880 MiB)"),
    ("more memory than any Fargate task", {"ecs": ECS, "services": [{**SERVICE, "memory": 131072}]},
     "shipyard:services[0].memory: 0.25 vCPU with 131072 MiB exceeds the largest Fargate task "
     "(16 vCPU, 122880 MiB)"),
    ("secret that is not an ARN", {"ecs": ECS, "services": [{**SERVICE, "secrets": {"DB": "hunter2"}}]},
     "shipyard:services[0].secrets.DB: must be a Secrets Manager secret ARN or an SSM parameter ARN"),
    ("bad env var name", {"ecs": ECS, "services": [{**SERVICE, "env": {"1BAD": "x"}}]},
     "shipyard:services[0].env.1BAD: must be a valid environment variable name"),
    ("duplicate services", {"ecs": ECS, "services": [SERVICE, SERVICE]},
     "shipyard:services[1].name: duplicate name 'api' (also at index 0)"),
    ("two public services on one route", {"ecs": ECS, "services": [
        {**SERVICE, "public": True}, {**SERVICE, "name": "web", "public": True}]},
     "shipyard:services[1].path: same ALB route (host any, path /*) as services[0]; set host or path"),
    ("ECS EC2 capacity inverted", {"ecs": {**ECS, "capacity": "ec2", "ec2": {"minSize": 5, "maxSize": 2}}},
     "shipyard:ecs.ec2.minSize: must be <= maxSize (2)"),
    ("node group inverted", {"eks": {**EKS_OK, "nodeGroups": [
        {"name": "a"}, {"name": "b", "minSize": 5, "maxSize": 3}]}},
     "shipyard:eks.nodeGroups[1].minSize: must be <= maxSize (3)"),
    ("desired outside the bounds", {"eks": {**EKS_OK, "nodeGroups": [{"name": "a", "desiredSize": 9}]}},
     "shipyard:eks.nodeGroups[0].desiredSize: must be between minSize (1) and maxSize (3)"),
    ("unsupported EKS version", {"eks": {**EKS_OK, "version": "1.20"}},
     "shipyard:eks.version: Kubernetes 1.20 is not supported by EKS; supported: 1.32, 1.33, "
     "1.34, 1.35"),
    ("EKS without capacity", {"eks": {**EKS_OK, "nodeGroups": []}},
     "shipyard:eks.nodeGroups: EKS needs capacity: add a node group or a Fargate profile "
     "(eks.fargateProfiles)"),
    ("Fargate profile without namespaces", {"eks": {**EKS_OK, "fargateProfiles": [
        {"name": "apps", "namespaces": []}]}},
     "shipyard:eks.fargateProfiles[0].namespaces: list should have at least 1 item after "
     "validation, not 0"),
    ("public endpoint open to nobody", {"eks": {**EKS_OK, "publicAccessCidrs": []}},
     "shipyard:eks.publicAccessCidrs: required while the endpoint is public: list the CIDRs "
     "allowed to reach it (0.0.0.0/0 for anyone), or set endpointPublicAccess to false"),
    ("self-managed with two instance types", {"eks": {**EKS_OK, "nodeGroups": [
        {"name": "a", "type": "selfManaged", "instanceTypes": ["m6i.large", "m7i.large"]}]}},
     "shipyard:eks.nodeGroups[0].instanceTypes: selfManaged node groups take exactly one "
     "instance type"),
    ("taint effect Kubernetes lacks", {"eks": {**EKS_OK, "nodeGroups": [
        {"name": "a", "taints": [{"key": "gpu", "effect": "Never"}]}]}},
     "shipyard:eks.nodeGroups[0].taints[0].effect: input should be 'NoSchedule', "
     "'PreferNoSchedule' or 'NoExecute'"),
    ("autoscaling bounds inverted", {"ecs": {**ECS, "autoscaling": {"minReplicas": 5, "maxReplicas": 2}}},
     "shipyard:ecs.autoscaling.minReplicas: must be <= maxReplicas (2)"),
    ("replicas above the autoscaling maximum", {
        "ecs": {**ECS, "autoscaling": {"maxReplicas": 4}}, "services": [{**SERVICE, "replicas": 6}]},
     "shipyard:services[0].replicas: must be <= shipyard:ecs.autoscaling.maxReplicas (4)"),
    ("kubeconfig that is not one", {"kubernetes": {"kubeconfig": "hello"}},
     "shipyard:kubernetes.kubeconfig: must be a kubeconfig document (YAML or JSON with clusters)"),
    ("services not a list", {"services": {"name": "api"}},
     "shipyard:services: input should be a valid list"),
    ("production not a boolean", {"production": "maybe"},
     "shipyard:production: input should be a valid boolean, unable to interpret input"),
    # services calling each other
    ("call to an unknown service", {"ecs": ECS, "services": [{**SERVICE, "calls": ["db"]}]},
     "shipyard:services[0].calls[0]: 'db' is not a service in shipyard:services (services: api)"),
    ("call to itself", {"ecs": ECS, "services": [{**SERVICE, "calls": ["api"]}]},
     "shipyard:services[0].calls[0]: 'api' is this service itself: its replicas need no "
     "declaration to reach each other"),
    ("call listed twice", {"ecs": ECS, "services": [
        {**SERVICE, "calls": ["db", "db"]}, {**SERVICE, "name": "db"}]},
     "shipyard:services[0].calls[1]: 'db' is listed twice"),
    ("call across platforms", {"ecs": ECS, "kubernetes": {"kubeconfig": KUBECONFIG_OK},
                               "services": [{**SERVICE, "calls": ["db"]},
                                            {**SERVICE, "name": "db", "runOn": ["ecs"]}]},
     "shipyard:services[0].calls[0]: 'db' does not run on kubernetes, where 'api' runs: a "
     "service calls only services on its own platforms"),
    ("call cycle on ECS", {"ecs": ECS, "services": [
        {**SERVICE, "calls": ["db"]}, {**SERVICE, "name": "db", "calls": ["api"]}]},
     "shipyard:services[0].calls: calls form a cycle on ECS (api -> db -> api): a Service "
     "Connect client reaches only services that were running before it started, so each must "
     "start after those it calls"),
    ("call to a name that is no DNS label", {"ecs": ECS, "services": [{**SERVICE, "calls": ["DB"]}]},
     "shipyard:services[0].calls[0]: must start with a lowercase letter and contain only "
     "lowercase letters, digits and '-' (a DNS label)"),
    # custom domains
    ("domain without a zone", {"ecs": ECS, "services": [
        {**SERVICE, "public": True, "domain": "api.example.com"}]},
     "shipyard:services[0].domain: needs shipyard:dns.zone: the Route 53 hosted zone its "
     "records and certificate validation go in"),
    ("domain outside the zone", {"ecs": ECS, "dns": {"zone": "example.com"}, "services": [
        {**SERVICE, "public": True, "domain": "api.example.org"}]},
     "shipyard:services[0].domain: 'api.example.org' is not in the zone 'example.com' "
     "(shipyard:dns.zone)"),
    ("domain that only ends like the zone", {"ecs": ECS, "dns": {"zone": "example.com"},
                                             "services": [{**SERVICE, "public": True,
                                                           "domain": "badexample.com"}]},
     "shipyard:services[0].domain: 'badexample.com' is not in the zone 'example.com' "
     "(shipyard:dns.zone)"),
    ("domain on a private service", {"ecs": ECS, "dns": {"zone": "example.com"}, "services": [
        {**SERVICE, "domain": "api.example.com"}]},
     "shipyard:services[0].domain: only public services get a domain: set public: true"),
    ("domain on two platforms", {"ecs": ECS, "eks": EKS_OK, "dns": {"zone": "example.com"},
                                 "services": [{**SERVICE, "public": True,
                                               "domain": "api.example.com"}]},
     "shipyard:services[0].domain: a domain points at one AWS load balancer: run the service "
     "only on ecs or only on eks (it runs on: ecs, eks)"),
    ("domain and host", {"ecs": ECS, "dns": {"zone": "example.com"}, "services": [
        {**SERVICE, "public": True, "domain": "api.example.com", "host": "api.example.com"}]},
     "shipyard:services[0].host: give either host or domain: the domain is the host the load "
     "balancer routes"),
    ("same domain twice", {"ecs": ECS, "dns": {"zone": "example.com"}, "services": [
        {**SERVICE, "public": True, "domain": "api.example.com"},
        {**SERVICE, "name": "web", "public": True, "domain": "api.example.com"}]},
     "shipyard:services[1].domain: same domain as services[0]"),
    ("domain too long for ACM", {"ecs": ECS, "dns": {"zone": "example.com"}, "services": [
        {**SERVICE, "public": True, "domain": "a" * 60 + ".example.com"}]},
     "shipyard:services[0].domain: string should have at most 64 characters"),
    ("domain with a wildcard", {"ecs": ECS, "dns": {"zone": "example.com"}, "services": [
        {**SERVICE, "public": True, "domain": "*.example.com"}]},
     "shipyard:services[0].domain: must be a DNS name such as app.example.com (lowercase, no "
     "trailing dot, no wildcard)"),
    ("zone with a trailing dot", {"dns": {"zone": "example.com."}},
     "shipyard:dns.zone: must be a DNS name such as example.com (lowercase, no trailing dot)"),
    ("ECS image built into a repository whose URL is over 255 characters",
     {"ecs": ECS, "ecr": {"repositories": [{"name": LONG_REPOSITORY}]},
      "services": [{"name": "api", "repository": LONG_REPOSITORY,
                    "build": {"context": "examples/hello-api"}}]},
     "shipyard:services[0].repository: the image reference the task definition names "
     "(<account>.dkr.ecr.<region>.amazonaws.com/<repository>, before @<digest>) is 265 "
     "characters, over the 255 ECS accepts: use a shorter ECR repository name"),
]


@pytest.mark.parametrize("config, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_config_names_the_key_and_registers_nothing(config, expected):
    with pytest.raises(ConfigError) as caught:
        run_shipyard(config)
    assert expected in caught.value.problems, caught.value.problems
    assert caught.value.registered == ()


def test_every_problem_is_reported_at_once():
    config = {"network": {"availabilityZones": 9, "natGateways": "many"},
              "ecr": {"repositories": [{"name": "UPPER"}]}}
    with pytest.raises(ConfigError) as caught:
        run_shipyard(config)
    assert [p.split(":")[1] for p in caught.value.problems] == [
        "network.availabilityZones", "network.natGateways", "ecr.repositories[0].name"]


def test_problems_print_as_one_line_each_without_traceback():
    with pytest.raises(ConfigError) as caught:
        run_shipyard({"netwrok": {}, "production": "maybe"})
    assert str(caught.value).splitlines() == [
        "invalid stack config:",
        "  shipyard:production: input should be a valid boolean, unable to interpret input",
        "  shipyard:netwrok: unknown key; did you mean 'network'?"]


def test_a_valid_config_passes():
    plan = run_shipyard({"ecr": {"repositories": [{"name": "api"}]}})
    assert plan.of_type("aws:ecr/repository:Repository")


def test_a_domain_used_twice_is_one_problem_not_a_route_conflict_too():
    with pytest.raises(ConfigError) as caught:
        run_shipyard({"ecs": ECS, "dns": {"zone": "example.com"}, "services": [
            {**SERVICE, "public": True, "domain": "api.example.com"},
            {**SERVICE, "name": "web", "public": True, "domain": "api.example.com"}]})
    assert caught.value.problems == ["shipyard:services[1].domain: same domain as services[0]"]


def test_a_call_problem_is_not_also_reported_as_a_cycle():
    with pytest.raises(ConfigError) as caught:
        run_shipyard({"ecs": ECS, "services": [{**SERVICE, "calls": ["api"]}]})
    assert len(caught.value.problems) == 1


def test_the_ecr_url_ecs_receives_counts_the_regions_domain():
    """In China regions ECR's domain ends in .amazonaws.com.cn: three characters more."""
    from shipyard.aws.naming import ecr_repository_url
    repository = "team/" + "d" * 200
    config = {"ecs": ECS, "ecr": {"repositories": [{"name": repository}]},
              "services": [{"name": "api", "repository": repository, "tag": "v1"}]}
    assert len(ecr_repository_url("0" * 12, "us-east-1", repository) + ":v1") == 253
    assert len(ecr_repository_url("0" * 12, "cn-north-1", repository) + ":v1") == 257
    with pytest.raises(ConfigError) as caught:
        run_shipyard(config, **{"aws:region": "cn-north-1"})
    assert ("shipyard:services[0].tag: the image reference the task definition names "
            "(<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>) is 257 characters, "
            "over the 255 ECS accepts: use a shorter ECR repository name or tag"
            in caught.value.problems), caught.value.problems


def test_a_value_is_secret_only_where_the_stack_file_writes_it_secure(tmp_path, monkeypatch):
    """Pulumi marks all of `shipyard:nomad` secret once its token is; the key stays plain text
    in the file, and under `pulumi up` the stack file beside the program says so."""
    from shipyard.config import load
    from shipyard.config.stack_file import secure_paths_as_written

    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text("config:\n  shipyard:nomad:\n    token: {secure: v1:abc}\n"
                          "    keyPem: plain\n  shipyard:services: [{env: {A: {secure: v1:d}}}]\n")
    written = secure_paths_as_written(stack_file)
    assert written == {"shipyard:nomad.token", "shipyard:services[0].env.A"}
    assert secure_paths_as_written(tmp_path / "missing.yaml") is None
    monkeypatch.setattr(load.pulumi.runtime.config, "is_config_secret",
                        lambda key: key == "shipyard:nomad")
    elsewhere = frozenset({"aws:secretKey"})   # the key's secrecy came from an ESC environment
    for known, key_pem in ((written, False), (None, True), (frozenset(), True), (elsewhere, True)):
        token = load.SECURE_PATHS.set(known)
        try:
            assert load.is_secret("nomad.token") is True
            assert load.is_secret("nomad.keyPem") is key_pem  # unknown: trust Pulumi's marking
            assert load.is_secret("swarm.keyMaterial") is False
        finally:
            load.SECURE_PATHS.reset(token)


def test_a_secret_field_s_offline_placeholder_follows_its_type():
    """The engine stands in PEM text for every Pem field and a kubeconfig for Kubeconfig ones,
    whatever the key is called; any other secret gets plain text."""
    from shipyard.config.schema import secret_kind

    expected = {("swarm", "caMaterial"): "pem", ("swarm", "keyMaterial"): "pem",
                ("nomad", "caPem"): "pem", ("nomad", "keyPem"): "pem",
                ("kubernetes", "kubeconfig"): "kubeconfig", ("nomad", "token"): None,
                ("nomad", "unknown"): None, ("unknown", "keyPem"): None}
    assert {at: secret_kind(*at) for at in expected} == expected
