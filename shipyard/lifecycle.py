"""What `pulumi up` does to each resource type after its first create: one row per type.

For every type Shipyard registers, a row says which inputs force a replacement, which inputs make
the resource unique (so a replacement created before its predecessor is deleted would collide),
what its delete loses that others may rely on, and which updates have preconditions. `diff`
marks replacements from it, `check` and the tests hold every plan to its invariants
(:func:`violations`), and a type without a row fails `tests/test_lifecycle.py`.

Sources. pulumi-aws is bridged from the Terraform AWS provider: an input replaces its resource
exactly when the provider schema marks it `ForceNew` (or `RequiresReplace`), in
github.com/hashicorp/terraform-provider-aws internal/service/<service>/<resource>.go (read at
commit 011a8eed). pulumi-kubernetes replaces an object when `.metadata.name`/`.namespace` or a
kind's immutable fields change (pulumi/pulumi-kubernetes provider/pkg/provider/diff.go,
`forceNew`), and deletes a named object before creating its replacement itself (provider.go,
Diff: "Delete before replacement if ... the new version of that object MUST have the same name").
pulumi-eks components pass their inputs to the aws.eks resources they create (pulumi/pulumi-eks
nodejs/eks). Paths are top-level inputs, or dotted paths into one (`spec.selector`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional

from shipyard.inputs import lookup, reveal

EVERY_INPUT = "*"
TF = "terraform-provider-aws internal/service/"
K8S_DIFF = "pulumi-kubernetes provider/pkg/provider/diff.go forceNew; provider.go Diff"


@dataclass(frozen=True)
class Facts:
    replaced_by: tuple[str, ...] = ()
    """Inputs (or input paths) whose change replaces the resource; EVERY_INPUT: any change."""
    unique_by: tuple[str, ...] = ()
    """Inputs that identify it where it lives: two with equal values cannot exist at once."""
    holds: str = ""
    """What deleting it loses that others (other stacks, people) rely on; empty if nothing."""
    protected_by: str = ""
    """A boolean input that makes AWS itself refuse the delete (deletion protection)."""
    retain: bool = False
    """Delete must leave it in place in every stack (others run it), not only in production."""
    provider_deletes_first: bool = False
    """The provider replaces a fixed-name instance delete-first by itself."""
    update_requires: tuple[tuple[str, str], ...] = ()
    """(input, flag): setting `input` needs the boolean input `flag` true for updates to apply."""
    one_minor_step: tuple[str, ...] = ()
    """Version inputs an update may move by one minor version at most."""
    source: str = ""


_ROLE_NAME = Facts(replaced_by=("name", "namePrefix", "path"), unique_by=("name",),
                   source=TF + "iam/role.go")
_SG_RULE = Facts(replaced_by=(), source=TF + "vpc/security_group_ingress_rule.go (framework; "
                 "every attribute updates in place through ModifySecurityGroupRules)")
_NODE_GROUP = ("nodeGroupName", "nodeGroupNamePrefix", "subnetIds", "instanceTypes",
               "capacityType", "amiType", "nodeRoleArn", "diskSize", "remoteAccess")
_S3_PART = ("bucket", "expectedBucketOwner")


def _k8s(*immutable: str, holds: str = "") -> Facts:
    return Facts(replaced_by=("metadata.name", "metadata.namespace", *immutable),
                 unique_by=("metadata.name", "metadata.namespace"), holds=holds,
                 provider_deletes_first=True, source=K8S_DIFF)


FACTS: dict[str, Facts] = {
    # --- network
    "aws:ec2/vpc:Vpc": Facts(("cidrBlock", "instanceTenancy", "ipv4IpamPoolId"),
                             source=TF + "ec2/vpc_.go"),
    "aws:ec2/subnet:Subnet": Facts(("vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId"),
                                   source=TF + "ec2/vpc_subnet.go"),
    "aws:ec2/internetGateway:InternetGateway": Facts(source=TF + "ec2/vpc_internet_gateway.go "
                                                     "(vpc_id attaches/detaches in place)"),
    "aws:ec2/eip:Eip": Facts(("domain", "address", "publicIpv4Pool", "networkBorderGroup"),
                             source=TF + "ec2/ec2_eip.go"),
    "aws:ec2/natGateway:NatGateway": Facts(("allocationId", "subnetId", "connectivityType",
                                            "privateIp"), source=TF + "ec2/vpc_nat_gateway.go"),
    "aws:ec2/routeTable:RouteTable": Facts(("vpcId",), source=TF + "ec2/vpc_route_table.go"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": Facts(
        ("subnetId", "gatewayId"), unique_by=("subnetId",),
        source=TF + "ec2/vpc_route_table_association.go (a subnet has one association; "
        "route_table_id changes in place through ReplaceRouteTableAssociation)"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": Facts(
        ("vpcId",), source=TF + "ec2/vpc_default_security_group.go (adopts the VPC's default "
        "group; delete only forgets it)"),
    "aws:ec2/securityGroup:SecurityGroup": Facts(("name", "namePrefix", "description", "vpcId"),
                                                 unique_by=("name", "vpcId"),
                                                 source=TF + "ec2/vpc_security_group.go"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _SG_RULE,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _SG_RULE,
    "aws:ec2/vpcEndpoint:VpcEndpoint": Facts(("vpcId", "serviceName", "vpcEndpointType"),
                                             source=TF + "ec2/vpc_endpoint.go"),
    "aws:ec2/flowLog:FlowLog": Facts(("vpcId", "subnetId", "trafficType", "logDestination",
                                      "logDestinationType", "iamRoleArn", "maxAggregationInterval",
                                      "logFormat", "destinationOptions"),
                                     source=TF + "ec2/vpc_flow_log.go (every argument ForceNew "
                                     "but tags)"),
    "aws:ec2/launchTemplate:LaunchTemplate": Facts(("name", "namePrefix"), unique_by=("name",),
                                                   source=TF + "ec2/ec2_launch_template.go "
                                                   "(other changes create a new version)"),
    "aws:cloudwatch/logGroup:LogGroup": Facts(
        ("name", "namePrefix", "logGroupClass"), unique_by=("name",),
        holds="the service's logs (kept for logRetentionDays otherwise)",
        source=TF + "logs/group.go"),
    "aws:kms/key:Key": Facts(("keyUsage", "customerMasterKeySpec", "multiRegion", "xksKeyId",
                              "customKeyStoreId"),
                             holds="everything encrypted with it (a deleted key is scheduled "
                             "for deletion, then that data is unreadable)",
                             source=TF + "kms/key.go"),
    "aws:kms/alias:Alias": Facts(("name", "namePrefix"), unique_by=("name",),
                                 source=TF + "kms/alias.go (target_key_id updates in place)"),
    # --- IAM
    "aws:iam/role:Role": _ROLE_NAME,
    "aws:iam/instanceProfile:InstanceProfile": Facts(("name", "namePrefix", "path"),
                                                     unique_by=("name",),
                                                     source=TF + "iam/instance_profile.go"),
    "aws:iam/rolePolicy:RolePolicy": Facts(("name", "namePrefix", "role"),
                                           unique_by=("name", "role"),
                                           source=TF + "iam/role_policy.go"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": Facts(
        ("role", "policyArn"), source=TF + "iam/role_policy_attachment.go (a replacement names "
        "another role or policy, so it never collides)"),
    # --- ECR and images
    "aws:ecr/repository:Repository": Facts(
        ("name", "encryptionConfigurations"), unique_by=("name",),
        holds="every image in it, which other stacks pull", source=TF + "ecr/repository.go"),
    # No Update: a new policy replaces it, and the old one's delete (DeleteLifecyclePolicy by
    # repository) would remove the policy its replacement just put.
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": Facts(("repository", "policy"),
                                                     unique_by=("repository",),
                                                     source=TF + "ecr/lifecycle_policy.go"),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": Facts(("repository",), unique_by=("repository",),
                                                       source=TF + "ecr/repository_policy.go"),
    "docker-build:index:Image": Facts(
        holds="the pushed manifest, by digest: the digest other stacks were promoted to",
        retain=True, source="pulumi-docker-build v0.0.22 provider/internal/image.go Delete "
        "(deletes pushed tags; docs: use retainOnDelete)"),
    "docker-build:index:Index": Facts(
        holds="the pushed index, by digest", retain=True,
        source="pulumi-docker-build v0.0.22 provider/internal/index.go Delete"),
    # --- ECS
    "aws:ecs/cluster:Cluster": Facts(("name",), unique_by=("name",),
                                     source=TF + "ecs/cluster.go (DeleteCluster fails while "
                                     "services remain; Shipyard's are deleted first)"),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": Facts(
        ("clusterName",), unique_by=("clusterName",),
        source=TF + "ecs/cluster_capacity_providers.go (one per cluster)"),
    "aws:ecs/capacityProvider:CapacityProvider": Facts(
        ("name", "autoScalingGroupProvider.autoScalingGroupArn"), unique_by=("name",),
        source=TF + "ecs/capacity_provider.go"),
    "aws:ecs/taskDefinition:TaskDefinition": Facts(
        (EVERY_INPUT,), source=TF + "ecs/task_definition.go (every change registers a new "
        "revision of the family; the service rolls to it)"),
    "aws:ecs/service:Service": Facts(
        ("name", "cluster", "launchType", "schedulingStrategy", "deploymentController",
         "role"), unique_by=("name", "cluster"),
        update_requires=(("capacityProviderStrategies", "forceNewDeployment"),),
        source=TF + "ecs/service.go (capacityProviderStrategyCustomizeDiff; the pulumi_aws.ecs."
        "Service docstring: \"Updating this argument requires `force_new_deployment = true`\")"),
    # description is ForceNew too, but components/ecs_cluster.py derives it from the name: it
    # never changes alone, and a new name is a namespace that can exist beside the old one.
    "aws:servicediscovery/httpNamespace:HttpNamespace": Facts(
        ("name",), unique_by=("name",), source=TF + "servicediscovery/http_namespace.go"),
    "aws:appautoscaling/target:Target": Facts(
        ("resourceId", "scalableDimension", "serviceNamespace"),
        unique_by=("resourceId", "scalableDimension", "serviceNamespace"),
        source=TF + "appautoscaling/target.go (RegisterScalableTarget updates in place)"),
    "aws:appautoscaling/policy:Policy": Facts(
        ("name", "resourceId", "scalableDimension", "serviceNamespace"),
        unique_by=("name", "resourceId", "scalableDimension", "serviceNamespace"),
        source=TF + "appautoscaling/policy.go"),
    "aws:autoscaling/group:Group": Facts(("name", "namePrefix"), unique_by=("name",),
                                         source=TF + "autoscaling/group.go"),
    # --- load balancing and domains
    "aws:lb/loadBalancer:LoadBalancer": Facts(
        ("name", "namePrefix", "internal", "loadBalancerType", "customerOwnedIpv4Pool"),
        unique_by=("name",), source=TF + "elbv2/load_balancer.go"),
    "aws:lb/targetGroup:TargetGroup": Facts(
        ("name", "namePrefix", "port", "protocol", "protocolVersion", "targetType", "vpcId",
         "ipAddressType"), unique_by=("name",), source=TF + "elbv2/target_group.go"),
    "aws:lb/listener:Listener": Facts(("loadBalancerArn",), unique_by=("loadBalancerArn", "port"),
                                      source=TF + "elbv2/listener.go"),
    "aws:lb/listenerRule:ListenerRule": Facts(("listenerArn",),
                                              unique_by=("listenerArn", "priority"),
                                              source=TF + "elbv2/listener_rule.go"),
    "aws:lb/listenerCertificate:ListenerCertificate": Facts(
        ("listenerArn", "certificateArn"), source=TF + "elbv2/listener_certificate.go (a "
        "replacement names another pair)"),
    "aws:wafv2/webAcl:WebAcl": Facts(("name", "namePrefix", "scope"), unique_by=("name", "scope"),
                                     source=TF + "wafv2/web_acl.go"),
    "aws:wafv2/webAclAssociation:WebAclAssociation": Facts(
        ("resourceArn", "webAclArn"), unique_by=("resourceArn",),
        source=TF + "wafv2/web_acl_association.go (Delete calls DisassociateWebACL with the "
        "resource ARN alone; pulumi/pulumi-aws#4782)"),
    "aws:acm/certificate:Certificate": Facts(
        ("domainName", "subjectAlternativeNames", "validationMethod", "keyAlgorithm",
         "certificateAuthorityArn", "privateKey", "certificateBody", "certificateChain"),
        source=TF + "acm/certificate.go (create-before-delete: a new certificate can exist "
        "beside the old)"),
    "aws:acm/certificateValidation:CertificateValidation": Facts(
        (EVERY_INPUT,), source=TF + "acm/certificate_validation.go (a wait, no AWS object)"),
    "aws:route53/record:Record": Facts(
        ("zoneId", "name", "type", "setIdentifier"), unique_by=("zoneId", "name", "type"),
        source=TF + "route53/record.go (allow_overwrite lets a replacement take over the name)"),
    # --- access logs bucket
    "aws:s3/bucket:Bucket": Facts(("bucket", "bucketPrefix", "objectLockEnabled"),
                                  unique_by=("bucket",), holds="the access logs in it",
                                  source=TF + "s3/bucket.go"),
    "aws:s3/bucketPolicy:BucketPolicy": Facts(("bucket",), unique_by=("bucket",),
                                              source=TF + "s3/bucket_policy.go"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": Facts(
        _S3_PART, unique_by=("bucket",), source=TF + "s3/bucket_public_access_block.go"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": Facts(
        ("bucket",), unique_by=("bucket",), source=TF + "s3/bucket_ownership_controls.go"),
    "aws:s3/bucketVersioning:BucketVersioning": Facts(
        (*_S3_PART, "mfa"), unique_by=("bucket",), source=TF + "s3/bucket_versioning.go"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        Facts(_S3_PART, unique_by=("bucket",),
              source=TF + "s3/bucket_server_side_encryption_configuration.go"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": Facts(
        _S3_PART, unique_by=("bucket",), source=TF + "s3/bucket_lifecycle_configuration.go"),
    # --- EKS
    "eks:index:Cluster": Facts(
        ("name",), unique_by=("name",), holds="the cluster and every workload on it",
        protected_by="deletionProtection", one_minor_step=("version",),
        source="pulumi-eks nodejs/eks/cluster.ts (its aws.eks.Cluster: name and role ForceNew; "
        "version, subnets and logging update in place)"),
    # UpdateClusterVersion moves one minor version at a time (EKS user guide, "Update existing
    # cluster to new Kubernetes version": "you can update only one minor version at a time").
    "aws:eks/cluster:Cluster": Facts(("name", "roleArn", "kubernetesNetworkConfig"),
                                     unique_by=("name",), holds="every workload on it",
                                     protected_by="deletionProtection",
                                     one_minor_step=("version",),
                                     source=TF + "eks/cluster.go"),
    "eks:index:ManagedNodeGroup": Facts(
        _NODE_GROUP, source="pulumi-eks nodejs/eks/nodegroup.ts createManagedNodeGroup (its "
        "aws.eks.NodeGroup; auto-named, so a replacement exists beside the old group)"),
    "aws:eks/nodeGroup:NodeGroup": Facts(_NODE_GROUP, unique_by=("clusterName", "nodeGroupName"),
                                         source=TF + "eks/node_group.go"),
    "aws:eks/fargateProfile:FargateProfile": Facts(
        (EVERY_INPUT,), unique_by=("clusterName", "fargateProfileName"),
        source=TF + "eks/fargate_profile.go (every argument ForceNew but tags)"),
    "aws:eks/accessEntry:AccessEntry": Facts(
        ("clusterName", "principalArn", "type"), unique_by=("clusterName", "principalArn"),
        source=TF + "eks/access_entry.go"),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": Facts(
        ("clusterName", "principalArn", "policyArn", "accessScope"),
        unique_by=("clusterName", "principalArn", "policyArn"),
        source=TF + "eks/access_policy_association.go"),
    "aws:eks/addon:Addon": Facts(("clusterName", "addonName"),
                                 unique_by=("clusterName", "addonName"),
                                 source=TF + "eks/addon.go (addon_version updates in place)"),
    # --- Kubernetes
    "pulumi:providers:kubernetes": Facts(
        source="pulumi-kubernetes provider.go DiffConfig: a kubeconfig naming another cluster "
        "replaces the provider and so every object it manages"),
    "kubernetes:core/v1:Namespace": _k8s(),
    "kubernetes:core/v1:ServiceAccount": _k8s(),
    "kubernetes:core/v1:Secret": _k8s("type", "stringData", "data"),
    "kubernetes:core/v1:Service": _k8s("spec.clusterIP"),
    "kubernetes:apps/v1:Deployment": _k8s("spec.selector"),
    "kubernetes:policy/v1:PodDisruptionBudget": _k8s(),
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": _k8s(),
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": _k8s(),
    # --- nomad (terraform-provider-nomad v2.6.1, bridged by pulumi-nomad 2.6.1)
    "pulumi:providers:nomad": Facts(
        source="terraform-provider-nomad nomad/provider.go: no ForceNew; another address or "
        "region points every job at another cluster"),
    # The job's identity is in the jobspec (keys of its JSON text): a new ID (the service name)
    # or namespace forces a new job (ForceNew of id/name, namespace), the old one deregistered
    # after (deregister_on_id_change), so the two never collide; anything else is a new version.
    "nomad:index/job:Job": Facts(
        ("jobspec.ID", "jobspec.Namespace"), unique_by=("jobspec.ID", "jobspec.Namespace"),
        source="terraform-provider-nomad nomad/resource_job.go resourceJobCustomizeDiff"),
    "nomad:index/variable:Variable": Facts(
        ("path", "namespace"), unique_by=("path", "namespace"),
        source="terraform-provider-nomad nomad/resource_variable.go (path, namespace ForceNew; "
        "items update in place)"),
}


def facts(resource_type: str) -> Optional[Facts]:
    """The row of a custom resource type; None for Shipyard's own components (no cloud state)."""
    if resource_type.startswith("shipyard:"):
        return None
    return FACTS[resource_type]


def _matches(path: str, field_path: str) -> bool:
    return field_path == path or field_path.startswith((f"{path}.", f"{path}["))


def replacing_inputs(resource_type: str, changed_paths: Iterable[str]) -> set[str]:
    """The changed input paths (`.spec.selector.matchLabels.app`, `subnetIds[2]`, as
    `shipyard.diff` writes them) that force `resource_type` to be replaced, as their rows name
    them."""
    row = FACTS.get(resource_type)
    if row is None:
        return set()
    paths = [p.lstrip(".") for p in changed_paths]
    if EVERY_INPUT in row.replaced_by:
        return {p.split(".")[0].split("[")[0] for p in paths}
    return {forcing for forcing in row.replaced_by for p in paths if _matches(forcing, p)}


def _value(inputs: dict[str, Any], path: str) -> Any:
    return reveal(lookup(inputs, path))


def violations(resource: Any, production: bool) -> list[str]:
    """How a recorded resource (shipyard.engine.Resource) breaks its type's lifecycle rules:
    a replacement that would collide with its predecessor, stateful data a delete would lose,
    an update precondition that does not hold."""
    row = facts(resource.type)
    if row is None:
        return []
    found = []
    where = f"{resource.type} {resource.name}"
    inputs = resource.inputs
    # Only inputs the resource sets can change; one outside its identity replaces it in place.
    replaced_by_other = EVERY_INPUT in row.replaced_by or any(
        _value(inputs, forcing) is not None
        and not any(_matches(unique, forcing) for unique in row.unique_by)
        for forcing in row.replaced_by)
    fixed_identity = row.unique_by and all(_value(inputs, key) is not None for key in row.unique_by)
    if (fixed_identity and replaced_by_other and not row.holds
            and not (resource.delete_before_replace or row.provider_deletes_first)):
        found.append(f"{where}: its {', '.join(row.unique_by)} stay when it is replaced, so the "
                     "replacement would collide with it; set delete_before_replace")
    if row.retain and not resource.retain_on_delete:
        found.append(f"{where}: a delete would lose {row.holds}; set retain_on_delete")
    elif row.holds and production and not (
            resource.protect or resource.retain_on_delete
            or (row.protected_by and _value(inputs, row.protected_by) is True)):
        found.append(f"{where}: a production delete would lose {row.holds}; protect it")
    for changed, flag in row.update_requires:
        if _value(inputs, changed) is not None and _value(inputs, flag) is not True:
            found.append(f"{where}: updating {changed} requires {flag} = true")
    return found


def plan_violations(plan: Any, production: bool) -> list[str]:
    """:func:`violations` of every resource of a plan (shipyard.engine.Plan)."""
    return [problem for resource in plan.resources for problem in violations(resource, production)]


def _minor(version: Any) -> Optional[tuple[int, int]]:
    parts = str(version).split(".")
    return (int(parts[0]), int(parts[1])) if len(parts) >= 2 and all(
        p.isdigit() for p in parts[:2]) else None


def update_problems(resource_type: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Why AWS would refuse to update a resource from inputs `before` to `after` in place."""
    row = FACTS.get(resource_type)
    problems = []
    for key in row.one_minor_step if row else ():
        old, new = _minor(before.get(key)), _minor(after.get(key))
        if old and new and (new[0] != old[0] or new[1] - old[1] > 1):
            problems.append(f"{key} {before[key]} -> {after[key]}: upgrade one minor version per "
                            f"`pulumi up` ({old[0]}.{old[1] + 1} first)")
        elif old and new and new < old:
            problems.append(f"{key} {before[key]} -> {after[key]}: a downgrade is not possible")
    return problems
