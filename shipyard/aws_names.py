"""Every physical name Shipyard sets or lets Pulumi auto-name, with the rule AWS applies to it.

One row per (resource type, name input): its length and character rules, where they come from
(botocore's service model, read here, when it states them; the AWS docs otherwise), whether Pulumi
auto-names it (logical name + '-' + 7 random characters) when Shipyard leaves it unset, and the
scope in which two names collide (the whole account, one region, or one parent such as a VPC or
a cluster). `tests/test_aws_names.py` walks every resource of every shipped and generated plan
through this table, and plans all shipped stacks together to prove they never claim one name.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from typing import Iterator, Literal, Optional

Scope = Literal["account", "region", "parent"]
# What Pulumi appends to an auto-named resource: "-" and 7 random lowercase hex characters
# (shipyard.naming.AUTONAME_SUFFIX characters in all).
AUTONAME_EXAMPLE = "-0a1b2c3"


@dataclass(frozen=True)
class NameRule:
    resource_type: str
    field: str                    # the input that holds the physical name
    scope: Scope                  # where two equal names collide
    min_length: int
    max_length: int
    pattern: str                  # the whole name must match
    source: str
    auto_named: bool = False      # Pulumi names it when `field` is unset
    forbidden_prefixes: tuple[str, ...] = ()
    required_prefix: str = ""

    def problems(self, name: str) -> list[str]:
        found = []
        if not self.min_length <= len(name) <= self.max_length:
            found.append(f"{len(name)} characters, allowed {self.min_length}..{self.max_length}")
        if not re.fullmatch(self.pattern, name, flags=re.ASCII):
            found.append(f"does not match {self.pattern}")
        if not name.startswith(self.required_prefix):
            found.append(f"must start with '{self.required_prefix}'")
        found += [f"must not start with '{prefix}'" for prefix in self.forbidden_prefixes
                  if name.startswith(prefix)]
        return found


# (resource type, name input, scope, botocore service, operation, member): rules stated in
# botocore's model (min/max/pattern), read from it below.
_FROM_BOTOCORE = (
    ("aws:ecr/repository:Repository", "name", "region", "ecr", "CreateRepository",
     "repositoryName", False),
    ("aws:cloudwatch/logGroup:LogGroup", "name", "region", "logs", "CreateLogGroup",
     "logGroupName", True),
    ("aws:kms/alias:Alias", "name", "region", "kms", "CreateAlias", "AliasName", False),
    ("aws:iam/role:Role", "name", "account", "iam", "CreateRole", "RoleName", True),
    ("aws:iam/instanceProfile:InstanceProfile", "name", "account", "iam", "CreateInstanceProfile",
     "InstanceProfileName", True),
    ("aws:iam/policy:Policy", "name", "account", "iam", "CreatePolicy", "PolicyName", True),
    ("aws:iam/rolePolicy:RolePolicy", "name", "parent", "iam", "PutRolePolicy", "PolicyName", True),
    ("aws:autoscaling/group:Group", "name", "region", "autoscaling", "CreateAutoScalingGroup",
     "AutoScalingGroupName", True),
    ("aws:appautoscaling/policy:Policy", "name", "parent", "application-autoscaling",
     "PutScalingPolicy", "PolicyName", True),
    ("eks:index:Cluster", "name", "region", "eks", "CreateCluster", "name", True),
    ("aws:eks/cluster:Cluster", "name", "region", "eks", "CreateCluster", "name", True),
    ("aws:servicediscovery/httpNamespace:HttpNamespace", "name", "region", "servicediscovery",
     "CreateHttpNamespace", "Name", False),
    ("aws:wafv2/webAcl:WebAcl", "name", "region", "wafv2", "CreateWebACL", "Name", True),
)
# botocore writes some patterns in Java's regex dialect; their Python equivalents.
_JAVA_PATTERNS = {
    r"^(?!arn:)[!-~]{1,1024}$": r"(?!arn:)[!-~]{1,1024}",
    r"\p{Print}+": r"[\x20-\x7e]+",
    # XmlStringMaxLen255: any XML character (astral-plane pairs written as surrogates).
    r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*":
        "[\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff\r\n\t]*",
}

_ECS_NAME = r"[A-Za-z0-9_-]+"
_ELB_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
# EKS user guide / pulumi-aws eks.NodeGroup docs: at most 63 characters, starting with a letter
# or digit, then letters, digits, hyphens and underscores.
_NODE_GROUP = NameRule(
    "eks:index:ManagedNodeGroup", "nodeGroupName", "parent", 1, 63, r"[A-Za-z0-9][A-Za-z0-9_-]*",
    "EKS CreateNodegroup nodegroupName (EKS docs): at most 63 characters, a letter or digit "
    "first, then letters, digits, '-' and '_'", auto_named=True)
_DOCS_RULES = (
    NameRule("aws:ecs/cluster:Cluster", "name", "region", 1, 255, _ECS_NAME,
             "ECS API CreateCluster clusterName: up to 255 letters, numbers, underscores, hyphens"),
    NameRule("aws:ecs/service:Service", "name", "parent", 1, 255, _ECS_NAME,
             "ECS API CreateService serviceName: up to 255 letters, numbers, underscores, hyphens"),
    NameRule("aws:ecs/taskDefinition:TaskDefinition", "family", "region", 1, 255, _ECS_NAME,
             "ECS API RegisterTaskDefinition family: up to 255 letters, numbers, underscores, "
             "hyphens"),
    NameRule("aws:ecs/capacityProvider:CapacityProvider", "name", "region", 1, 255, _ECS_NAME,
             "ECS API CreateCapacityProvider name: up to 255 letters, numbers, underscores, "
             "hyphens; not prefixed aws, ecs or fargate", auto_named=True,
             forbidden_prefixes=("aws", "ecs", "fargate")),
    NameRule("aws:lb/loadBalancer:LoadBalancer", "name", "region", 1, 32, _ELB_NAME,
             "ELB API CreateLoadBalancer Name: at most 32 alphanumerics and hyphens, not starting "
             "or ending with a hyphen, not starting with 'internal-'", auto_named=True,
             forbidden_prefixes=("internal-",)),
    NameRule("aws:lb/targetGroup:TargetGroup", "name", "region", 1, 32, _ELB_NAME,
             "ELB API CreateTargetGroup Name: at most 32 alphanumerics and hyphens, not starting "
             "or ending with a hyphen", auto_named=True),
    NameRule("aws:ec2/launchTemplate:LaunchTemplate", "name", "region", 3, 128,
             r"[a-zA-Z0-9().\-/_]+",
             "EC2 API CreateLaunchTemplate LaunchTemplateName: 3-128 characters, "
             r"[a-zA-Z0-9\(\)\.\-/_]+", auto_named=True),
    NameRule("aws:ec2/securityGroup:SecurityGroup", "name", "parent", 1, 255,
             r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+",
             "EC2 API CreateSecurityGroup GroupName (VPC): up to 255 of a-z A-Z 0-9 space "
             "._-:/()#,@[]+=&;{}!$*; not starting with sg-", auto_named=True,
             forbidden_prefixes=("sg-",)),
    _NODE_GROUP,
    dataclasses.replace(_NODE_GROUP, resource_type="aws:eks/nodeGroup:NodeGroup"),
    # S3 user guide, "General purpose bucket naming rules": 3-63 lowercase letters, digits, dots
    # and hyphens, starting and ending with a letter or digit; unique across all of AWS.
    NameRule("aws:s3/bucket:Bucket", "bucket", "account", 3, 63,
             r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?", "S3 bucket naming rules (S3 user guide)",
             auto_named=True, forbidden_prefixes=("xn--", "sthree-", "amzn-s3-demo-")),
    # Route 53 record names live in the hosted zone every stack shares: a DNS name (RFC 1035:
    # at most 255 characters, labels of at most 63).
    NameRule("aws:route53/record:Record", "name", "account", 1, 255,
             r"(?:[A-Za-z0-9_*](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?)+",
             "Route 53 ChangeResourceRecordSets Name (DNS name, RFC 1035 lengths)"),
    # awslabs cdk-eks-blueprints FargateProfileConstraints: 1..63 characters (DNS limits).
    NameRule("aws:eks/fargateProfile:FargateProfile", "fargateProfileName", "parent", 1, 63,
             r"[A-Za-z0-9][A-Za-z0-9_-]*", "EKS CreateFargateProfile fargateProfileName: "
             "1-63 characters (EKS Blueprints' FargateProfileConstraints)"),
)
# Beyond the botocore pattern (KMS API CreateAlias): aliases start with alias/, and alias/aws/
# is reserved for AWS managed keys.
_PREFIXES = {"aws:kms/alias:Alias": (("alias/aws/",), "alias/")}


# Resource types that have no physical name of their own (ids, ARNs and Name tags only), and
# pulumi-eks's NodeGroupV2, whose children are pulumi-eks's own (nodejs/eks/nodes/nodegroup.ts). Every other type a plan
# holds must have a row above: tests fail on a type in neither.
NAMELESS_TYPES = frozenset({
    "aws:appautoscaling/target:Target", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/eip:Eip", "aws:ec2/flowLog:FlowLog", "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/natGateway:NatGateway", "aws:ec2/routeTable:RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:ec2/subnet:Subnet",
    "aws:ec2/vpc:Vpc", "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy", "aws:ecr/repositoryPolicy:RepositoryPolicy",
    "aws:eks/addon:Addon", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:kms/key:Key", "aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "eks:index:NodeGroupV2",
    "aws:ec2/securityGroupRule:SecurityGroupRule", "aws:eks/accessEntry:AccessEntry",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:acm/certificate:Certificate",
    "aws:acm/certificateValidation:CertificateValidation",
    "aws:lb/listenerCertificate:ListenerCertificate", "aws:wafv2/webAclAssociation:WebAclAssociation",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
})


@functools.cache
def rules() -> dict[str, NameRule]:
    """Resource type -> its name rule (botocore is read once, on first use)."""
    import botocore.session

    session = botocore.session.get_session()
    table: dict[str, NameRule] = {}
    for resource_type, field, scope, service, operation, member, auto_named in _FROM_BOTOCORE:
        shape = session.get_service_model(service).operation_model(operation).input_shape
        metadata = shape.members[member].metadata
        pattern = metadata.get("pattern", ".+")
        pattern = _JAVA_PATTERNS.get(pattern, pattern).removeprefix("^").removesuffix("$")
        table[resource_type] = NameRule(
            resource_type, field, scope, metadata.get("min", 1), metadata["max"], pattern,
            f"botocore {service} {operation}.{member}", auto_named,
            *_PREFIXES.get(resource_type, ((), "")))
    table.update({rule.resource_type: rule for rule in _DOCS_RULES})
    return table


def physical_name(resource_type: str, logical_name: str, inputs: dict) -> Optional[str]:
    """The name AWS will see: the explicit input, or Pulumi's auto-name, or None."""
    rule = rules().get(resource_type)
    if rule is None:
        return None
    given = inputs.get(rule.field)
    if isinstance(given, str):
        return given
    return logical_name + AUTONAME_EXAMPLE if rule.auto_named else None


def explicit_name(resource_type: str, inputs: dict) -> Optional[str]:
    rule = rules().get(resource_type)
    value = inputs.get(rule.field) if rule else None
    return value if isinstance(value, str) else None


def name_problems(resource_type: str, logical_name: str, inputs: dict) -> Iterator[str]:
    name = physical_name(resource_type, logical_name, inputs)
    if name is not None:
        for problem in rules()[resource_type].problems(name):
            yield f"{resource_type} {logical_name}: name '{name}' {problem}"


# The stack name prefixes ALB, target group, S3 bucket, ECS and EKS cluster, log group, KMS
# alias and launch template names: ALB names allow only alphanumerics and hyphens, S3 bucket
# names only lowercase ones, and at this length every derived name stays within its limit (EKS
# cluster names: 100 characters).
STACK_NAME_MAX = 40
_STACK_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


def stack_name_problems(stack: str) -> list[str]:
    if _STACK_NAME.fullmatch(stack) and len(stack) <= STACK_NAME_MAX:
        return []
    return [f"stack name '{stack}': use at most {STACK_NAME_MAX} lowercase letters, digits and "
            "'-' (not first or last): it prefixes AWS names such as the load balancer's and the "
            "log bucket's, which allow nothing else (e.g. prod-eu, not prod_eu)"]
