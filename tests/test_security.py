"""Hardening that closes what an independent scanner found: WAF, ALB access logs, KMS for log
groups and ECR, the EKS key policy, egress without NAT — and nothing lost in production."""

from __future__ import annotations

import json

import pytest

from shipyard.aws import iam, kms
from shipyard.config import ConfigError
from shipyard.review.engine import Plan, Secret
from tests.conftest import run_shipyard

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
WEB_ACL_ARN = ("arn:aws:wafv2:us-east-1:123456789012:regional/webacl/edge/"
               "a1b2c3d4-5678-90ab-cdef-0123456789ab")
PUBLIC_WEB = {"name": "web", "image": "nginx:1.27", "public": True}


def public_ecs(production: bool = False, **load_balancer) -> Plan:
    return run_shipyard({"production": production,
                         "ecs": {"enabled": True, "loadBalancer": load_balancer},
                         "services": [PUBLIC_WEB]})


def problems(shipyard: dict) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        run_shipyard(shipyard)
    assert raised.value.registered == ()
    return raised.value.problems


@pytest.fixture(scope="module")
def prod(stack_plan) -> Plan:
    return stack_plan("prod")


# WAF
def test_managed_web_acl_uses_aws_managed_rule_groups_and_guards_the_alb():
    plan = public_ecs(managedWebAcl=True)
    acl = plan.one("aws:wafv2/webAcl:WebAcl").inputs
    assert acl["scope"] == "REGIONAL" and acl["defaultAction"] == {"allow": {}}
    assert [(r["priority"], r["statement"]["managedRuleGroupStatement"]) for r in acl["rules"]] == [
        (0, {"name": "AWSManagedRulesAmazonIpReputationList", "vendorName": "AWS"}),
        (1, {"name": "AWSManagedRulesAnonymousIpList", "vendorName": "AWS",
             # Webhooks and partners call from cloud hosting: counted, not blocked.
             "ruleActionOverrides": [{"name": "HostingProviderIPList", "actionToUse": {"count": {}}}]}),
        (2, {"name": "AWSManagedRulesKnownBadInputsRuleSet", "vendorName": "AWS"}),
        (3, {"name": "AWSManagedRulesCommonRuleSet", "vendorName": "AWS"})]
    assert all(r["overrideAction"] == {"none": {}} for r in acl["rules"])
    association = plan.one("aws:wafv2/webAclAssociation:WebAclAssociation").inputs
    assert association["webAclArn"].startswith("arn:aws:wafv2:us-east-1:123456789012:regional/webacl/")
    assert association["resourceArn"].startswith("arn:aws:elasticloadbalancing:")


def test_an_existing_web_acl_is_associated_not_created():
    plan = public_ecs(webAclArn=WEB_ACL_ARN)
    assert not plan.of_type("aws:wafv2/webAcl:WebAcl")
    assert plan.one("aws:wafv2/webAclAssociation:WebAclAssociation").inputs["webAclArn"] == WEB_ACL_ARN


def test_no_waf_by_default():
    assert not public_ecs().of_type("aws:wafv2/webAclAssociation:WebAclAssociation")


def test_web_acl_settings_are_checked():
    assert problems({"ecs": {"enabled": True, "loadBalancer": {
        "managedWebAcl": True, "webAclArn": WEB_ACL_ARN}}}) == [
        "shipyard:ecs.loadBalancer.webAclArn: give either webAclArn or managedWebAcl, not both"]
    assert problems({"ecs": {"enabled": True, "loadBalancer": {"webAclArn": "arn:aws:wafv2:x"}}}) == [
        "shipyard:ecs.loadBalancer.webAclArn: must be a regional AWS WAF web ACL ARN "
        "(arn:aws:wafv2:<region>:<account>:regional/webacl/...)"]


# ALB access logs
def test_production_alb_logs_to_a_private_encrypted_bucket_shipyard_creates(prod):
    bucket = prod.one("aws:s3/bucket:Bucket")
    balancer = prod.one("aws:lb/loadBalancer:LoadBalancer")
    name = balancer.inputs["accessLogs"]["bucket"]
    assert balancer.inputs["accessLogs"] == {"bucket": name, "enabled": True, "prefix": "shipyard-prod"}
    assert bucket.protect and bucket.inputs["forceDestroy"] is False
    assert prod.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs == {
        "bucket": name, "blockPublicAcls": True, "blockPublicPolicy": True,
        "ignorePublicAcls": True, "restrictPublicBuckets": True}
    assert prod.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs["rule"] == {
        "objectOwnership": "BucketOwnerEnforced"}
    # SSE-S3: ALB access logs cannot be written to an SSE-KMS bucket.
    assert prod.one("aws:s3/bucketServerSideEncryptionConfiguration:"
                    "BucketServerSideEncryptionConfiguration").inputs["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    expire, abort = prod.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
                             ).inputs["rules"]
    assert expire["status"] == "Enabled" and expire["expiration"] == {"days": 90}
    assert expire["filter"] == {"prefix": "shipyard-prod/"}
    assert abort["filter"] == {} and abort["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    policy = prod.one("aws:s3/bucketPolicy:BucketPolicy")
    assert policy.urn in balancer.depends_on, "ELB checks it may write before enabling logs"


def test_the_bucket_policy_lets_only_elb_write_under_the_prefix(prod):
    document = json.loads(prod.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    bucket = prod.one("aws:lb/loadBalancer:LoadBalancer").inputs["accessLogs"]["bucket"]
    delivery, tls = document["Statement"]
    assert delivery == {"Sid": "ElbLogDelivery", "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::127311923021:root"},  # us-east-1's ELB
                        "Action": "s3:PutObject",
                        "Resource": f"arn:aws:s3:::{bucket}/shipyard-prod/AWSLogs/123456789012/*"}
    assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_regions_opened_after_august_2022_grant_the_log_delivery_service():
    assert iam.elb_log_delivery_principal("ap-southeast-5") == {
        "Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    assert iam.elb_log_delivery_principal("eu-west-1") == {"AWS": "arn:aws:iam::156460612806:root"}


def test_access_logs_off_outside_production_by_default():
    plan = public_ecs()
    assert "accessLogs" not in plan.one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert not plan.of_type("aws:s3/bucket:Bucket")


def test_an_existing_log_bucket_is_used_not_created():
    plan = public_ecs(accessLogsBucket="central-alb-logs")
    assert plan.one("aws:lb/loadBalancer:LoadBalancer").inputs["accessLogs"]["bucket"] == "central-alb-logs"
    assert not plan.of_type("aws:s3/bucket:Bucket")


def test_a_dev_stack_may_create_its_log_bucket_unprotected():
    plan = public_ecs(accessLogs=True, accessLogsExpireAfterDays=7)
    bucket = plan.one("aws:s3/bucket:Bucket")
    assert not bucket.protect and bucket.inputs["forceDestroy"] is True
    expire, _ = plan.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert expire["expiration"] == {"days": 7}


def test_production_keeps_access_logs():
    assert problems({"production": True, "ecs": {"enabled": True, "loadBalancer": {
        "accessLogs": False}}}) == [
        "shipyard:ecs.loadBalancer.accessLogs: production stacks keep ALB access logs "
        "(Security Hub ELB.5)"]


# KMS for log groups
def test_production_log_groups_are_encrypted_with_a_protected_key(prod):
    key = prod.one("aws:kms/key:Key", "shipyard-prod-logs")
    assert key.protect and key.inputs["enableKeyRotation"] is True
    groups = prod.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert {g.name for g in groups} == {"api-logs", "web-logs", "shipyard-prod-flow-logs"}
    assert {g.inputs["kmsKeyId"] for g in groups} == {
        f"arn:aws:kms:us-east-1:123456789012:key/{key_id(prod, key)}"}


def key_id(plan: Plan, key) -> str:
    alias = next(a for a in plan.of_type("aws:kms/alias:Alias") if a.name == key.name)
    return alias.inputs["targetKeyId"]


def test_the_log_key_policy_admits_cloudwatch_logs_of_this_account_and_region_only(prod):
    document = json.loads(prod.one("aws:kms/key:Key", "shipyard-prod-logs").inputs["policy"])
    root, logs = document["Statement"]
    assert root["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"] == {"ArnLike": {
        "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*"}}


def test_log_groups_use_cloudwatch_encryption_outside_production_by_default():
    plan = public_ecs()
    assert all("kmsKeyId" not in g.inputs for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup"))
    assert not plan.of_type("aws:kms/key:Key")


def test_an_existing_log_key_is_used_not_created():
    plan = run_shipyard({"logs": {"kmsKeyArn": KEY_ARN}, "ecs": {"enabled": True},
                         "services": [PUBLIC_WEB]})
    assert {g.inputs["kmsKeyId"] for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup")} == {KEY_ARN}
    assert not plan.of_type("aws:kms/key:Key")
    assert problems({"logs": {"kmsEncryption": False, "kmsKeyArn": KEY_ARN}}) == [
        "shipyard:logs.kmsKeyArn: set, but kmsEncryption is false"]


# ECR and EKS keys
def test_ecr_repository_can_use_a_kms_key():
    plan = run_shipyard({"ecr": {"repositories": [{"name": "api", "kmsKeyArn": KEY_ARN}]}})
    assert plan.one("aws:ecr/repository:Repository").inputs["encryptionConfigurations"] == [
        {"encryptionType": "KMS", "kmsKey": KEY_ARN}]


def test_eks_secrets_key_has_an_explicit_key_policy(prod):
    document = json.loads(prod.one("aws:kms/key:Key", "shipyard-prod-secrets").inputs["policy"])
    assert document == iam.eks_secrets_key_policy("123456789012")
    assert document["Statement"] == [{"Sid": "EnableIamPolicies", "Effect": "Allow",
                                      "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                      "Action": "kms:*", "Resource": "*"}]


def test_every_key_shipyard_makes_is_rotated_symmetric_with_the_longest_deletion_window(prod):
    keys = prod.of_type("aws:kms/key:Key")
    assert {k.name for k in keys} == {"shipyard-prod-logs", "shipyard-prod-secrets"}
    for key in keys:
        assert {name: key.inputs[name] for name in (
            "keyUsage", "customerMasterKeySpec", "enableKeyRotation", "deletionWindowInDays")} == {
            "keyUsage": "ENCRYPT_DECRYPT", "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
            "enableKeyRotation": True, "deletionWindowInDays": kms.DELETION_WINDOW_DAYS}
        assert key_id(prod, key)  # its alias, named as the key


# Egress
def egress_of(plan: Plan, prefix: str) -> list[dict]:
    return [r.inputs for r in plan.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
            if r.name.startswith(prefix)]


# Without NAT only ECR is reachable (public registries are a config error: test_endpoints.py).
ECR_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api:1.4.2"


def test_without_nat_workloads_reach_only_the_vpc_and_s3():
    plan = run_shipyard({"network": {"natGateways": "none", "vpcEndpoints": True},
                         "ecs": {"enabled": True, "capacity": "ec2"},
                         "services": [{"name": "api", "image": ECR_IMAGE}]})
    s3 = next(e for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
              if e.inputs["vpcEndpointType"] == "Gateway")
    assert s3.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    for prefix in ("api-egress", "shipyard-test-instance-egress"):
        rules = egress_of(plan, prefix)
        assert [(r["ipProtocol"], r.get("cidrIpv4"), r.get("prefixListId"), r.get("fromPort"))
                for r in rules] == [("-1", "10.0.0.0/16", None, None),
                                    ("tcp", None, rules[1]["prefixListId"], 443)]
        assert rules[1]["prefixListId"].startswith("pl-")


def test_with_nat_workloads_may_reach_the_internet():
    plan = run_shipyard({"ecs": {"enabled": True}, "services": [{"name": "api", "image": "nginx:1.27"}]})
    assert [r["cidrIpv4"] for r in egress_of(plan, "api-egress")] == ["0.0.0.0/0"]


# Nothing lost
def test_production_protects_repositories_keys_and_log_buckets(prod):
    for type_ in ("aws:ecr/repository:Repository", "aws:kms/key:Key", "aws:s3/bucket:Bucket"):
        resources = prod.of_type(type_)
        assert resources and all(r.protect for r in resources), type_


def test_kubeconfig_output_is_a_secret(prod):
    assert isinstance(prod.outputs["kubeconfig"], Secret)
    assert json.loads(prod.outputs["kubeconfig"].value)["kind"] == "Config"


def test_secret_values_stay_secret(prod):
    secrets = prod.of_type("kubernetes:core/v1:Secret")
    assert secrets and all(isinstance(s.inputs["stringData"], Secret) for s in secrets)
    provider = prod.one("pulumi:providers:kubernetes")
    assert isinstance(provider.inputs["kubeconfig"], Secret)


def test_waf_is_priced_per_web_acl_and_rule(prod):
    from decimal import Decimal

    from shipyard.review import cost
    [line] = [l for l in cost.estimate(prod).lines if l.item.startswith("AWS WAF")]
    assert (line.quantity, line.monthly) == ("1 web ACL + 4 rules x 1 month", Decimal("9.00"))


def test_no_log_key_without_log_groups_to_encrypt():
    """An existing VPC (no flow logs) and no ECS: Shipyard makes no log group, so no log key."""
    plan = run_shipyard({
        "production": True,
        "network": {"vpcId": "vpc-0123456789abcdef0",
                    "publicSubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                    "privateSubnetIds": ["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"]},
        "eks": {"enabled": True, "nodeGroups": [{"name": "general"}],
                "privateAccessCidrs": ["10.99.0.0/16"]}})
    assert [k.name for k in plan.of_type("aws:kms/key:Key")] == ["shipyard-test-secrets"]


def test_mocks_answer_like_aws_for_the_new_resource_types(prod):
    import re
    association = prod.one("aws:wafv2/webAclAssociation:WebAclAssociation").inputs
    assert re.fullmatch(r"arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shipyard-prod-waf-"
                        r"[0-9a-f]{7}/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", association["webAclArn"])
    bucket = prod.one("aws:lb/loadBalancer:LoadBalancer").inputs["accessLogs"]["bucket"]
    assert re.fullmatch(r"shipyard-prod-access-logs-[0-9a-f]{7}", bucket)
    key_ids = {a.inputs["targetKeyId"] for a in prod.of_type("aws:kms/alias:Alias")}
    assert all(re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", k) for k in key_ids)
    gateway = run_shipyard({"network": {"natGateways": "none", "vpcEndpoints": True},
                            "ecs": {"enabled": True}, "services": [{**PUBLIC_WEB, "image": ECR_IMAGE}]})
    [s3_rule] = [r.inputs for r in gateway.of_type(
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") if "prefixListId" in r.inputs]
    assert re.fullmatch(r"pl-[0-9a-f]{8}", s3_rule["prefixListId"])
