"""The pure checks behind the config contract: what AWS, Docker and Kubernetes accept must pass,
what they refuse must not (the refusals are exercised end to end in tests/bad_input)."""

from __future__ import annotations

import typing

import pytest

from shipyard.aws import models as aws_models
from shipyard.aws.ami import cpu_architecture, ecs_ami_parameter, is_graviton
from shipyard.aws.naming import repository_logical_name
from shipyard.config import ConfigError, parse
from shipyard.config.schema import Repository
from shipyard.config.types import iam_principal_problem, s3_bucket_name_problem
from shipyard.platforms.eks.nodes import MANAGED_TAINT_EFFECTS
from shipyard.platforms.eks.spec import Eks, NodeGroup, Taint
from shipyard.services.image_reference import image_problem, tag_problem

EKS = {"enabled": True, "publicAccessCidrs": ["203.0.113.0/24"]}


def test_instance_types_come_from_ec2s_own_model():
    types = aws_models.instance_types()
    assert {"t3.medium", "m7g.large", "a1.large", "c7gn.xlarge"} <= types
    assert "t3.huge" not in types and len(types) > 500


def test_eks_label_and_taint_limits_come_from_the_eks_model():
    assert aws_models.shape("eks", "labelKey") == {"type": "string", "max": 63, "min": 1}
    assert aws_models.shape("eks", "labelValue")["min"] == 1  # EKS refuses empty label values
    assert aws_models.member_shape("eks", "Taint", "value")["min"] == 0


def test_a_model_constraint_names_the_api_and_the_limit():
    limits = aws_models.shape("eks", "labelKey")
    assert aws_models.problem("k" * 64, limits, "EKS") == (
        "must have at most 63 characters, as EKS requires")
    assert aws_models.problem("", limits, "EKS") == "must not be empty, as EKS requires"
    assert aws_models.problem("k" * 63, limits, "EKS") is None


@pytest.mark.parametrize("image", [
    "nginx:1.27", "ghcr.io/acme/api:1.4.2", "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api:1.4.2",
    "localhost:5000/team/app:v2", "nginx@sha256:" + "a" * 64, "nginx:1.27@sha256:" + "b" * 64,
    "registry.example.com:8443/a/b/c:1.0_rc-1", "quay.io/prometheus/node-exporter:v1.8.2"])
def test_valid_image_references_pass(image):
    assert image_problem(image) is None


@pytest.mark.parametrize("tag", ["1", "1.4.2", "v2_rc-1", "A" * 128])
def test_valid_tags_pass(tag):
    assert tag_problem(tag) is None


@pytest.mark.parametrize("name", ["logs", "my.access-logs.2026", "a1b", "l" * 63])
def test_valid_bucket_names_pass(name):
    assert s3_bucket_name_problem(name) is None


@pytest.mark.parametrize("arn", ["arn:aws:iam::123456789012:role/Admin",
                                 "arn:aws:iam::123456789012:role/platform/Admin",
                                 "arn:aws:iam::123456789012:user/alice",
                                 "arn:aws-us-gov:iam::123456789012:role/Admin"])
def test_iam_roles_and_users_are_admin_principals(arn):
    assert iam_principal_problem(arn) is None


def test_graviton_families_including_a1_get_arm64():
    assert [is_graviton(t) for t in ["a1.large", "t4g.medium", "c7gn.large", "x2gd.large"]] == [True] * 4
    assert [is_graviton(t) for t in ["m5.large", "g5.xlarge", "inf2.xlarge"]] == [False] * 3
    assert cpu_architecture("a1.medium") == "ARM64"
    assert ecs_ami_parameter("a1.medium").endswith("/arm64/recommended/image_id")


def test_repository_logical_names_replace_slashes():
    assert repository_logical_name("shop/api") == repository_logical_name("shop-api") == "shop-api"


def test_valid_alb_routes_pass():
    config = parse({"ecs": {"enabled": True}, "services": [
        {"name": "api", "image": "nginx:1.27", "public": True, "host": "*.api.example.com",
         "path": "/v1/users/@me:~$+&'*"}]})
    assert config.services[0].path == "/v1/users/@me:~$+&'*"


def test_self_managed_groups_may_use_the_labels_the_kubelet_allows():
    config = parse({"eks": {**EKS, "nodeGroups": [{"name": "a", "type": "selfManaged", "labels": {
        "node.kubernetes.io/lifecycle": "spot", "kubelet.kubernetes.io/x": "y", "team": ""}}]}})
    assert config.eks.node_groups[0].labels["team"] == ""  # empty values are Kubernetes-valid


@pytest.mark.parametrize("kind", ["managed", "selfManaged"])
def test_node_groups_may_repeat_a_taint_key_with_another_effect(kind):
    taints = [{"key": "gpu", "effect": "NoSchedule"}, {"key": "gpu", "effect": "NoExecute"}]
    groups = [{"name": "system"}, {"name": "gpu", "type": kind, "taints": taints}]
    assert len(parse({"eks": {**EKS, "nodeGroups": groups}}).eks.node_groups[1].taints) == 2


def test_regional_rules_run_only_when_the_region_is_known():
    config = {"eks": {**EKS, "nodeGroups": [{"name": "a"}],
                      "kmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/abc"}}
    assert parse(config).eks.kms_key_arn  # no region: nothing to compare with
    assert parse(config, "eu-west-1").eks.kms_key_arn
    with pytest.raises(ConfigError):
        parse(config, "us-east-1")


def test_exactly_100_public_services_fit_one_alb():
    services = [{"name": f"s{i}", "image": "nginx:1.27", "public": True, "path": f"/s{i}/*"}
                for i in range(100)]
    assert len(parse({"ecs": {"enabled": True}, "services": services}).services) == 100


def _literal(model, field: str) -> set[str]:
    annotation = model.model_fields[field].annotation
    while typing.get_origin(annotation) is list:
        annotation = typing.get_args(annotation)[0]
    return set(typing.get_args(annotation))


def test_schema_choices_are_values_the_aws_apis_accept():
    assert _literal(Eks, "log_types") == set(aws_models.shape("eks", "LogType")["enum"])
    assert _literal(NodeGroup, "capacity_type") <= set(aws_models.shape("eks", "CapacityTypes")["enum"])
    assert _literal(Repository, "image_tag_mutability") <= set(
        aws_models.shape("ecr", "ImageTagMutability")["enum"])
    # Kubernetes spells taint effects NoSchedule; EKS's API spells the same three NO_SCHEDULE.
    assert set(MANAGED_TAINT_EFFECTS) == _literal(Taint, "effect")
    assert MANAGED_TAINT_EFFECTS == {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE",
                                     "NoExecute": "NO_EXECUTE"}
    assert set(MANAGED_TAINT_EFFECTS.values()) == set(aws_models.shape("eks", "TaintEffect")["enum"])


def test_ecs_may_read_secrets_from_another_region():
    secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"
    config = parse({"ecs": {"enabled": True}, "services": [
        {"name": "api", "image": "nginx:1.27", "secrets": {"DB": secret}}]}, "us-east-1")
    assert config.services[0].secrets == {"DB": secret}
