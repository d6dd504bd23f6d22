"""The CI roles' permissions, derived from a stack's offline plan (`python -m shipyard ci-policy
preview|deploy <stack>`).

Both roles get AWS's managed `ReadOnlyAccess` for the broad reads: the refreshes and the reads
providers make after each write, and the data sources of remote components (pulumi-eks's),
whose calls the offline plan does not see. AWS keeps it current as services add read actions.
It deliberately grants no secret values and no decryption (`secretsmanager:GetSecretValue`,
`kms:Decrypt`), so the documents here add what it lacks, exactly for this stack:

- preview: the values Kubernetes targets read at preview and up (the recorded
  `getSecretVersion`/`getParameter` invokes), scoped to those ARNs and decrypted only through
  Secrets Manager or Parameter Store for them; and, for image builds, the push of the build cache
  (pulumi-docker-build builds at preview and exports cache manifests then, never images).
- deploy: the preview set plus, per resource type the plan registers, the actions that create,
  update, tag and delete it (:data:`DEPLOY_ACTIONS`); IAM writes and `iam:PassRole` scoped to
  this stack's roles and instance profiles, S3 to its buckets, the rest to its region ("*" only
  for actions AWS authorises on nothing narrower).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Callable, Iterable, NamedTuple

import parliament

from shipyard.aws import iam
from shipyard.review.engine import Invoke, Plan, Resource

# IAM's limit for a managed policy, counted without whitespace (IAM User Guide, "IAM and AWS STS
# quotas": "Managed policy size: 6,144 characters").
MANAGED_POLICY_MAX_CHARS = 6144


class Row(NamedTuple):
    """What `pulumi up` calls to create, update, tag and delete one resource type."""

    actions: tuple[str, ...]
    # Which resources the actions may touch: "*" where AWS names them only at creation, or a
    # scope of :data:`SCOPES` (this stack's roles or instance profiles).
    scope: str = "*"
    # Services whose service-linked role the first create makes (iam:CreateServiceLinkedRole).
    service_linked_roles: tuple[str, ...] = ()


def _ec2(*operations: str) -> tuple[str, ...]:
    # Every EC2 resource is created with the stack's default tags (CreateTags, DeleteTags).
    return tuple(f"ec2:{o}" for o in operations) + ("ec2:CreateTags", "ec2:DeleteTags")


_SECURITY_GROUP_RULES = ("AuthorizeSecurityGroupEgress", "AuthorizeSecurityGroupIngress",
                         "RevokeSecurityGroupEgress", "RevokeSecurityGroupIngress")
_ROLE = ("iam:CreateRole", "iam:DeleteRole", "iam:TagRole", "iam:UntagRole",
         "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
         # terraform-provider-aws deletes a role's inline and attached policies first
         # (internal/service/iam/role.go, deleteRole).
         "iam:DeleteRolePolicy", "iam:DetachRolePolicy")
_ELB_TAGS = ("elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags")

# Resource type -> what `pulumi up` calls for it (several rows for a remote component whose
# children span several scopes). IAM action names are `<prefix>:<Operation>` of
# the service's botocore model (tests/test_ci_policy.py checks each against the model and lints
# every document with parliament); S3's few differently named permissions are noted there.
DEPLOY_ACTIONS: dict[str, Row | tuple[Row, ...]] = {
    "aws:ec2/vpc:Vpc": Row(_ec2("CreateVpc", "DeleteVpc", "ModifyVpcAttribute")),
    "aws:ec2/subnet:Subnet": Row(_ec2("CreateSubnet", "DeleteSubnet", "ModifySubnetAttribute")),
    "aws:ec2/internetGateway:InternetGateway": Row(_ec2(
        "AttachInternetGateway", "CreateInternetGateway", "DeleteInternetGateway",
        "DetachInternetGateway")),
    "aws:ec2/eip:Eip": Row(_ec2("AllocateAddress", "DisassociateAddress", "ReleaseAddress")),
    "aws:ec2/natGateway:NatGateway": Row(_ec2("CreateNatGateway", "DeleteNatGateway")),
    "aws:ec2/routeTable:RouteTable": Row(_ec2(
        "CreateRoute", "CreateRouteTable", "DeleteRoute", "DeleteRouteTable", "ReplaceRoute")),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": Row(_ec2(
        "AssociateRouteTable", "DisassociateRouteTable", "ReplaceRouteTableAssociation")),
    # A new group's default egress rule is revoked, then the declared rules authorised
    # (terraform-provider-aws internal/service/ec2/vpc_security_group.go).
    "aws:ec2/securityGroup:SecurityGroup": Row(_ec2(
        "CreateSecurityGroup", "DeleteSecurityGroup", *_SECURITY_GROUP_RULES)),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": Row(_ec2(*_SECURITY_GROUP_RULES)),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": Row(_ec2(
        "AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules",
        "RevokeSecurityGroupIngress")),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": Row(_ec2(
        "AuthorizeSecurityGroupEgress", "ModifySecurityGroupRules", "RevokeSecurityGroupEgress")),
    # Flow logs to CloudWatch pass the delivery role (see :func:`_pass_roles`).
    "aws:ec2/flowLog:FlowLog": Row(_ec2("CreateFlowLogs", "DeleteFlowLogs")),
    "aws:ec2/vpcEndpoint:VpcEndpoint": Row(_ec2(
        "CreateVpcEndpoint", "DeleteVpcEndpoints", "ModifyVpcEndpoint")),
    "aws:ec2/launchTemplate:LaunchTemplate": Row(_ec2(
        "CreateLaunchTemplate", "CreateLaunchTemplateVersion", "DeleteLaunchTemplate",
        "ModifyLaunchTemplate")),
    # Creating a group from a launch template needs ec2:RunInstances (and iam:PassRole for its
    # instance profile) of the caller (EC2 Auto Scaling User Guide, "Control the use of launch
    # templates in Auto Scaling actions").
    "aws:autoscaling/group:Group": Row((
        "autoscaling:CreateAutoScalingGroup", "autoscaling:CreateOrUpdateTags",
        "autoscaling:DeleteAutoScalingGroup", "autoscaling:DeleteTags",
        "autoscaling:StartInstanceRefresh", "autoscaling:UpdateAutoScalingGroup",
        "ec2:RunInstances", "ec2:CreateTags"), service_linked_roles=("autoscaling.amazonaws.com",)),
    "aws:cloudwatch/logGroup:LogGroup": Row((
        "logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:DeleteLogGroup",
        "logs:DeleteRetentionPolicy", "logs:DisassociateKmsKey", "logs:PutRetentionPolicy",
        "logs:TagResource", "logs:UntagResource")),
    # A KMS-encrypted repository: ECR makes a grant on the key as the caller (ECR User Guide,
    # "Encryption at rest": required IAM permissions).
    "aws:ecr/repository:Repository": Row((
        "ecr:CreateRepository", "ecr:DeleteRepository", "ecr:PutImageScanningConfiguration",
        "ecr:PutImageTagMutability", "ecr:TagResource", "ecr:UntagResource",
        "kms:CreateGrant", "kms:DescribeKey", "kms:RetireGrant")),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": Row((
        "ecr:DeleteLifecyclePolicy", "ecr:PutLifecyclePolicy")),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": Row((
        "ecr:DeleteRepositoryPolicy", "ecr:SetRepositoryPolicy")),
    # Builds push to their repositories at preview already (their cache): the preview set,
    # which deploy includes. Deleting a pushed image is retained (retain_on_delete).
    "docker-build:index:Image": Row(()),
    "docker-build:index:Index": Row(()),
    "aws:ecs/cluster:Cluster": Row((
        "ecs:CreateCluster", "ecs:DeleteCluster", "ecs:TagResource", "ecs:UntagResource",
        "ecs:UpdateCluster", "ecs:UpdateClusterSettings"),
        service_linked_roles=("ecs.amazonaws.com",)),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": Row((
        "ecs:PutClusterCapacityProviders",)),
    "aws:ecs/capacityProvider:CapacityProvider": Row((
        "ecs:CreateCapacityProvider", "ecs:DeleteCapacityProvider", "ecs:TagResource",
        "ecs:UntagResource", "ecs:UpdateCapacityProvider")),
    # Registering passes the task and execution roles (see :func:`_pass_roles`).
    "aws:ecs/taskDefinition:TaskDefinition": Row((
        "ecs:DeregisterTaskDefinition", "ecs:RegisterTaskDefinition", "ecs:TagResource",
        "ecs:UntagResource")),
    "aws:ecs/service:Service": Row((
        "ecs:CreateService", "ecs:DeleteService", "ecs:TagResource", "ecs:UntagResource",
        "ecs:UpdateService")),
    "aws:servicediscovery/httpNamespace:HttpNamespace": Row((
        "servicediscovery:CreateHttpNamespace", "servicediscovery:DeleteNamespace",
        "servicediscovery:TagResource", "servicediscovery:UntagResource",
        "servicediscovery:UpdateHttpNamespace")),
    "aws:appautoscaling/target:Target": Row((
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:RegisterScalableTarget", "application-autoscaling:TagResource",
        "application-autoscaling:UntagResource"),
        service_linked_roles=("ecs.application-autoscaling.amazonaws.com",)),
    "aws:appautoscaling/policy:Policy": Row((
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:PutScalingPolicy")),
    "aws:lb/loadBalancer:LoadBalancer": Row((
        "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
        *_ELB_TAGS), service_linked_roles=("elasticloadbalancing.amazonaws.com",)),
    "aws:lb/targetGroup:TargetGroup": Row((
        "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes", *_ELB_TAGS)),
    "aws:lb/listener:Listener": Row((
        "elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
        "elasticloadbalancing:ModifyListener", *_ELB_TAGS)),
    "aws:lb/listenerRule:ListenerRule": Row((
        "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule",
        "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities",
        *_ELB_TAGS)),
    "aws:lb/listenerCertificate:ListenerCertificate": Row((
        "elasticloadbalancing:AddListenerCertificates",
        "elasticloadbalancing:RemoveListenerCertificates")),
    # Associating a web ACL with an ALB also takes elasticloadbalancing:SetWebACL (AWS WAF
    # Developer Guide, "Permissions for AssociateWebACL").
    "aws:wafv2/webAcl:WebAcl": Row((
        "wafv2:CreateWebACL", "wafv2:DeleteWebACL", "wafv2:TagResource", "wafv2:UntagResource",
        "wafv2:UpdateWebACL")),
    "aws:wafv2/webAclAssociation:WebAclAssociation": Row((
        "elasticloadbalancing:SetWebACL", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL")),
    "aws:acm/certificate:Certificate": Row((
        "acm:AddTagsToCertificate", "acm:DeleteCertificate", "acm:RemoveTagsFromCertificate",
        "acm:RequestCertificate", "acm:UpdateCertificateOptions")),
    # Waits for DescribeCertificate to report the certificate issued: a read.
    "aws:acm/certificateValidation:CertificateValidation": Row(()),
    "aws:route53/record:Record": Row(("route53:ChangeResourceRecordSets",)),
    "aws:kms/key:Key": Row((
        "kms:CreateKey", "kms:DisableKeyRotation", "kms:EnableKeyRotation", "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
        "kms:UpdateKeyDescription")),
    "aws:kms/alias:Alias": Row(("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias")),
    "aws:s3/bucket:Bucket": Row(("s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketTagging"),
                                "buckets"),
    "aws:s3/bucketPolicy:BucketPolicy": Row(("s3:DeleteBucketPolicy", "s3:PutBucketPolicy"),
                                            "buckets"),
    # S3's configuration deletes take the matching Put permission (S3 API Reference, e.g.
    # DeleteBucketLifecycle: "s3:PutLifecycleConfiguration").
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": Row((
        "s3:PutBucketPublicAccessBlock",), "buckets"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": Row((
        "s3:PutBucketOwnershipControls",), "buckets"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        Row(("s3:PutEncryptionConfiguration",), "buckets"),
    "aws:s3/bucketVersioning:BucketVersioning": Row(("s3:PutBucketVersioning",), "buckets"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": Row((
        "s3:PutLifecycleConfiguration",), "buckets"),
    "aws:iam/role:Role": Row(_ROLE, "roles"),
    "aws:iam/rolePolicy:RolePolicy": Row(("iam:DeleteRolePolicy", "iam:PutRolePolicy"), "roles"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": Row((
        "iam:AttachRolePolicy", "iam:DetachRolePolicy"), "roles"),
    "aws:iam/instanceProfile:InstanceProfile": Row((
        "iam:AddRoleToInstanceProfile", "iam:CreateInstanceProfile", "iam:DeleteInstanceProfile",
        "iam:RemoveRoleFromInstanceProfile", "iam:TagInstanceProfile",
        "iam:UntagInstanceProfile"), "instance-profiles"),
    "aws:eks/accessEntry:AccessEntry": Row((
        "eks:CreateAccessEntry", "eks:DeleteAccessEntry", "eks:TagResource",
        "eks:UntagResource", "eks:UpdateAccessEntry")),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": Row((
        "eks:AssociateAccessPolicy", "eks:DisassociateAccessPolicy")),
    "aws:eks/addon:Addon": Row((
        "eks:CreateAddon", "eks:DeleteAddon", "eks:TagResource", "eks:UntagResource",
        "eks:UpdateAddon")),
    "aws:eks/fargateProfile:FargateProfile": Row((
        "eks:CreateFargateProfile", "eks:DeleteFargateProfile", "eks:TagResource",
        "eks:UntagResource"), service_linked_roles=("eks-fargate.amazonaws.com",)),
    # pulumi-eks's Cluster as Shipyard configures it (pulumi-eks v4.4, nodejs/eks/cluster/
    # cluster.ts): the aws:eks/cluster:Cluster, its service role `<name>-eksRole-role` with
    # policy attachments (:func:`_role_patterns`), the kube-proxy and vpc-cni add-ons and the
    # cluster's OIDC provider; no security groups (skipDefaultSecurityGroups) and no instance
    # role (skipDefaultNodeGroup). Secrets encryption makes a grant on the key (EKS User Guide,
    # "Encrypt Kubernetes secrets with KMS": kms:CreateGrant, kms:DescribeKey).
    "eks:index:Cluster": (
        Row(("eks:AssociateEncryptionConfig", "eks:CreateAddon", "eks:CreateCluster",
             "eks:DeleteAddon", "eks:DeleteCluster", "eks:TagResource", "eks:UntagResource",
             "eks:UpdateAddon", "eks:UpdateClusterConfig", "eks:UpdateClusterVersion",
             "kms:CreateGrant", "kms:DescribeKey"), service_linked_roles=("eks.amazonaws.com",)),
        Row((*_ROLE, "iam:AttachRolePolicy"), "roles"),
        Row(("iam:AddClientIDToOpenIDConnectProvider", "iam:CreateOpenIDConnectProvider",
             "iam:DeleteOpenIDConnectProvider", "iam:TagOpenIDConnectProvider",
             "iam:UntagOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint"),
            "oidc-providers")),
    # pulumi-eks's ManagedNodeGroup with Shipyard's node role and launch template: one
    # aws:eks/nodeGroup:NodeGroup (pulumi-eks v4.4, nodejs/eks/nodegroup.ts).
    "eks:index:ManagedNodeGroup": Row((
        "eks:CreateNodegroup", "eks:DeleteNodegroup", "eks:TagResource", "eks:UntagResource",
        "eks:UpdateNodegroupConfig", "eks:UpdateNodegroupVersion"),
        service_linked_roles=("eks-nodegroup.amazonaws.com",)),
    # The Kubernetes provider calls no AWS API: its kubeconfig's `aws eks get-token` presigns
    # sts:GetCallerIdentity, which needs no permission.
    "pulumi:providers:kubernetes": Row(()),
    # --- nomad: the Nomad provider calls no AWS API (its token is Nomad's ACL token).
    "pulumi:providers:nomad": Row(()),
}
# Kubernetes objects go to the cluster's API, which authorises them through the cluster's
# access entries (Kubernetes RBAC), not IAM; Swarm objects to a manager's Docker API; Nomad jobs
# and variables to Nomad's API, which its ACL token authorises; Shipyard's own components call
# nothing themselves.
NO_AWS_CALLS = ("kubernetes:", "docker:", "pulumi:providers:docker", "nomad:", "shipyard:")


class UnknownType(LookupError):
    """A resource type or invoke the CI policy has no row for."""


def rows(type_: str) -> tuple[Row, ...]:
    """What `pulumi up` calls for a resource type; an error for a type without a row."""
    if type_ in DEPLOY_ACTIONS:
        entry = DEPLOY_ACTIONS[type_]
        return (entry,) if isinstance(entry, Row) else entry
    if type_.startswith(NO_AWS_CALLS):
        return ()
    raise UnknownType(f"ci-policy has no row for resource type {type_}: add it to "
                      "shipyard/review/ci_policy.py DEPLOY_ACTIONS")


# Invokes whose reads `ReadOnlyAccess` grants, or that call no AWS API at all (the provider
# answers getRegion, getPartition and getHostedZoneId from its own tables; GetCallerIdentity
# needs no permission). The secret reads are handled by :func:`secret_reads`.
READ_ONLY_INVOKES = frozenset({
    "aws:index/getAvailabilityZones:getAvailabilityZones",   # ec2:DescribeAvailabilityZones
    "aws:index/getCallerIdentity:getCallerIdentity",
    "aws:index/getRegion:getRegion",
    "aws:index/getPartition:getPartition",
    "aws:ec2/getVpc:getVpc",                                 # ec2:DescribeVpcs
    "aws:ecr/getRepository:getRepository",                   # ecr:DescribeRepositories
    "aws:ecr/getAuthorizationToken:getAuthorizationToken",   # ecr:GetAuthorizationToken
    "aws:ecr/getImage:getImage",                             # ecr:DescribeImages
    "aws:eks/getAddonVersion:getAddonVersion",               # eks:DescribeAddonVersions
    "aws:route53/getZone:getZone",                           # route53:ListHostedZones
    "aws:lb/getHostedZoneId:getHostedZoneId",
})
GET_SECRET_VERSION = "aws:secretsmanager/getSecretVersion:getSecretVersion"
GET_PARAMETER = "aws:ssm/getParameter:getParameter"


class SecretReads(NamedTuple):
    secrets: tuple[str, ...]      # Secrets Manager secret ARNs
    parameters: tuple[str, ...]   # SSM parameter ARNs read with decryption


def secret_reads(invokes: Iterable[Invoke]) -> SecretReads:
    """The secret values a plan reads (Kubernetes targets read them at preview and up)."""
    secrets, parameters = set(), set()
    for invoke in invokes:
        if invoke.token == GET_SECRET_VERSION:
            secrets.add(iam.secret_reference(invoke.args["secretId"])[0])
        elif invoke.token == GET_PARAMETER:
            # Plain parameters (the public AMI ids under /aws/service/) are ReadOnlyAccess's.
            if invoke.args.get("withDecryption"):
                parameters.add(invoke.args["name"])
        elif invoke.token not in READ_ONLY_INVOKES:
            raise UnknownType(f"ci-policy does not know what the invoke {invoke.token} reads: "
                              "add it to shipyard/review/ci_policy.py")
    return SecretReads(tuple(sorted(secrets)), tuple(sorted(parameters)))


def _arn_part(arn: str, index: int) -> str:
    return arn.split(":")[index]


def _decrypt(sid: str, service: str, context_key: str, arns: tuple[str, ...]) -> dict[str, Any]:
    """kms:Decrypt of these secrets only, and only through their service: what a customer-managed
    key needs (AWS managed keys' own policies already allow it). Each service names the secret in
    its encryption context — Secrets Manager `SecretARN` (Secrets Manager User Guide, "Secret
    encryption and decryption"), Parameter Store `PARAMETER_ARN` (Systems Manager User Guide,
    "How Parameter Store uses AWS KMS")."""
    regions = sorted({_arn_part(a, 3) for a in arns})
    return {"Sid": sid, "Effect": "Allow", "Action": "kms:Decrypt",
            "Resource": sorted({f"arn:{_arn_part(a, 1)}:kms:{_arn_part(a, 3)}:{_arn_part(a, 4)}:key/*"
                                for a in arns}),
            "Condition": {"StringEquals": {
                "kms:ViaService": [f"{service}.{region}.amazonaws.com" for region in regions],
                f"kms:EncryptionContext:{context_key}": list(arns)}}}


_ECR_REPOSITORY = re.compile(r"\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/([^:@]+)")


def _repository_arns(plan: Plan, account: str) -> list[str]:
    """The ECR repositories the plan's builds push images, indexes and cache to: the stack's
    own account's (Shipyard looks repositories up by name there)."""
    references = []
    for resource in plan.resources:
        if resource.type.startswith("docker-build:"):
            inputs = resource.inputs
            references += [*inputs.get("tags", ()), inputs.get("tag"),
                           *(c.get("registry", {}).get("ref") for c in inputs.get("cacheTo", ()))]
    names = {match.group(1) for match in (
        _ECR_REPOSITORY.match(r) for r in references if isinstance(r, str)) if match}
    return [f"arn:aws:ecr:{plan.region}:{account}:repository/{name}" for name in sorted(names)]


def preview_statements(plan: Plan, account: str) -> list[dict[str, Any]]:
    """What `pulumi preview` needs beyond ReadOnlyAccess."""
    reads = secret_reads(plan.invokes)
    statements: list[dict[str, Any]] = []
    if reads.secrets:
        statements += [
            {"Sid": "ReadSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": list(reads.secrets)},
            _decrypt("DecryptSecrets", "secretsmanager", "SecretARN", reads.secrets)]
    if reads.parameters:
        statements += [
            {"Sid": "ReadParameters", "Effect": "Allow", "Action": "ssm:GetParameter",
             "Resource": list(reads.parameters)},
            _decrypt("DecryptParameters", "ssm", "PARAMETER_ARN", reads.parameters)]
    repositories = _repository_arns(plan, account)
    if repositories:
        # Builds run at preview and export their cache (the installed pulumi_docker_build
        # Image docstring, `build_on_preview`: "Images built during previews are never exported
        # to registries, however cache manifests are still exported").
        statements += iam.ecr_build_push(repositories)["Statement"]
    return statements


def _name_pattern(resource: Resource, lowercase: bool = False) -> str:
    """How AWS will name a resource: its `name` (or `bucket`) input, else Pulumi's auto-name
    `<logical>-<random>` (lowercase for buckets)."""
    name = resource.inputs.get("bucket" if lowercase else "name")
    if isinstance(name, str):
        return name
    return f"{resource.name.lower() if lowercase else resource.name}-*"


def _role_patterns(plan: Plan) -> list[str]:
    names = {_name_pattern(r) for r in plan.of_type("aws:iam/role:Role")}
    # pulumi-eks's ServiceRole `<cluster>-eksRole` creates the role `<cluster>-eksRole-role`
    # (pulumi-eks v4.4, nodejs/eks/servicerole.ts and cluster/cluster.ts).
    names |= {f"{r.name}-eksRole-role-*" for r in plan.of_type("eks:index:Cluster")}
    return sorted(names)


# Scope -> the ARNs (patterns) of this stack's resources its actions may touch.
SCOPES: dict[str, Callable[[Plan, str], list[str]]] = {
    "roles": lambda plan, account: [f"arn:aws:iam::{account}:role/{name}"
                                    for name in _role_patterns(plan)],
    "instance-profiles": lambda plan, account: [
        f"arn:aws:iam::{account}:instance-profile/{_name_pattern(r)}"
        for r in plan.of_type("aws:iam/instanceProfile:InstanceProfile")],
    "buckets": lambda plan, account: [
        f"arn:aws:s3:::{_name_pattern(r, lowercase=True)}"
        for r in plan.of_type("aws:s3/bucket:Bucket")],
    # EKS clusters' OIDC issuers (https://oidc.eks.<region>.amazonaws.com/id/<id>).
    "oidc-providers": lambda plan, account: [
        f"arn:aws:iam::{account}:oidc-provider/oidc.eks.{plan.region}.amazonaws.com/id/*"],
}
# Services whose actions may touch resources of other accounts: AWS's AMIs (RunInstances), AWS
# managed rule groups (CreateWebACL), a key given by ARN in config (CreateGrant).
_OTHER_ACCOUNTS = {"ec2", "kms", "wafv2"}
_GLOBAL_ARNS = {"route53": "arn:aws:route53:::hostedzone/*"}


@lru_cache(maxsize=None)
def _privileges() -> dict[tuple[str, str], dict[str, Any]]:
    return {(service["prefix"], privilege["privilege"]): privilege
            for service in parliament.iam_definition for privilege in service["privileges"]}


def resource_level(action: str) -> bool:
    """Whether an IAM action can be granted on resources rather than only on "*" (parliament's
    copy of AWS's Service Authorization Reference)."""
    privilege = _privileges().get(tuple(action.split(":", 1)))
    return bool(privilege) and any(r["resource_type"] for r in privilege["resource_types"])


def _in_region(prefix: str, plan: Plan, account: str) -> str:
    """ARNs of a service's resources in the stack's region (and account, where its actions
    never touch another's)."""
    if prefix in _GLOBAL_ARNS:
        return _GLOBAL_ARNS[prefix]
    return f"arn:aws:{prefix}:{plan.region}:{'*' if prefix in _OTHER_ACCOUNTS else account}:*"


def _sid(*parts: str) -> str:
    return "".join(word.capitalize() for part in parts for word in re.split(r"[^A-Za-z0-9]+", part)
                   if word)


def deploy_statements(plan: Plan, account: str) -> list[dict[str, Any]]:
    """What `pulumi up` needs beyond ReadOnlyAccess: the preview's reads plus every write."""
    by_scope: dict[str, set[str]] = {}
    service_linked = set()
    for resource in plan.resources:
        for entry in rows(resource.type):
            if entry.actions:
                by_scope.setdefault(entry.scope, set()).update(entry.actions)
            service_linked.update(entry.service_linked_roles)
    statements = preview_statements(plan, account)
    anywhere = by_scope.pop("*", set())
    for prefix in sorted({a.split(":")[0] for a in anywhere}):
        actions = sorted(a for a in anywhere if a.startswith(f"{prefix}:"))
        scoped = [a for a in actions if resource_level(a)]
        unscoped = [a for a in actions if not resource_level(a)]
        if scoped:
            statements.append({"Sid": _sid("Deploy", prefix), "Effect": "Allow",
                               "Action": scoped, "Resource": _in_region(prefix, plan, account)})
        if unscoped:  # actions AWS authorises on "*" only
            statements.append({"Sid": _sid("Deploy", prefix, "Unscoped"), "Effect": "Allow",
                               "Action": unscoped, "Resource": "*"})
    for scope in sorted(by_scope):
        statements.append({"Sid": _sid("Deploy", "stack", scope), "Effect": "Allow",
                           "Action": sorted(by_scope[scope]),
                           "Resource": sorted(SCOPES[scope](plan, account))})
    roles = SCOPES["roles"](plan, account)
    if roles:
        # Services get only this stack's roles (task, execution, node, flow-log roles).
        statements.append({"Sid": "PassStackRoles", "Effect": "Allow", "Action": "iam:PassRole",
                           "Resource": roles})
    if service_linked:
        statements.append({
            "Sid": "CreateServiceLinkedRoles", "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": f"arn:aws:iam::{account}:role/aws-service-role/*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": sorted(service_linked)}}})
    return statements


def _size(document: dict[str, Any]) -> int:
    return len(re.sub(r"\s", "", json.dumps(document)))


def documents(name: str, statements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The statements as managed-policy documents named `name` (`name-1`, `name-2`, ... when
    they exceed one policy's size), each within IAM's size limit."""
    if not statements:
        return {}
    chunks: list[list[dict[str, Any]]] = [[]]
    for statement in statements:
        candidate = {"Version": iam.VERSION, "Statement": chunks[-1] + [statement]}
        if chunks[-1] and _size(candidate) > MANAGED_POLICY_MAX_CHARS:
            chunks.append([])
        chunks[-1].append(statement)
    if len(chunks) == 1:
        return {name: {"Version": iam.VERSION, "Statement": chunks[0]}}
    return {f"{name}-{index}": {"Version": iam.VERSION, "Statement": chunk}
            for index, chunk in enumerate(chunks, 1)}


def policies(plan: Plan, role: str, account: str) -> dict[str, dict[str, Any]]:
    """The `preview` or `deploy` role's documents for a stack, by policy name."""
    statements = (preview_statements if role == "preview" else deploy_statements)(plan, account)
    return documents(f"shipyard-{plan.stack}-ci-{role}", statements)
