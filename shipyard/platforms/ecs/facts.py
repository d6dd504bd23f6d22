"""The facts rows of the resource types only the ECS platform's components register: the
cluster and its services, their load balancer (with its web ACL and access-log bucket),
service discovery and autoscaling. What a row holds: shipyard/review/resource_facts.py."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Iterator, Sequence

from shipyard.aws.names import FromBotocore, NameRule
from shipyard.platforms.ecs.task import resized_tasks
from shipyard.review.cost import Line, Pricer
from shipyard.review.mock_values import ALB_ZONE_ID, MockCall, uuid
from shipyard.review.resource_facts import EVERY_INPUT, NAMELESS, TF, ResourceFacts

if TYPE_CHECKING:
    from shipyard.review.engine import Resource

_ECS_NAME = r"[A-Za-z0-9_-]+"
_ELB_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_S3_PART = ("bucket", "expectedBucketOwner")


def _ecs_name(api: str, scope: str = "region", note: str = "", **options) -> NameRule:
    return NameRule("name", scope, 1, 255, _ECS_NAME,
                    f"ECS API {api}: up to 255 letters, numbers, underscores, hyphens{note}",
                    **options)


def _load_balancer(call: MockCall) -> dict:
    return {"dnsName": f"{call.name}-{int(call.digest[:9], 16)}.{call.region}.elb.amazonaws.com",
            "zoneId": ALB_ZONE_ID, "arnSuffix": f"app/{call.name}/{call.digest[:16]}"}


def _bucket(call: MockCall) -> dict:
    # Pulumi auto-names buckets in lowercase; the bucket's id is its name, and S3 ARNs carry
    # neither region nor account.
    bucket = call.inputs.get("bucket") or f"{call.logical_name.lower()}-{call.digest[:7]}"
    return {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}",
            "bucketDomainName": f"{bucket}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{bucket}.s3.{call.region}.amazonaws.com",
            "region": call.region}


def _s3_part(source: str, replaced_by: tuple[str, ...] = _S3_PART) -> ResourceFacts:
    return ResourceFacts("other", replaced_by, unique_by=("bucket",), source=TF + source,
                         name_rule=NAMELESS)


def _load_balancers(pricer: Pricer, balancers: Sequence[Resource]) -> Iterator[Line]:
    for balancer in balancers:
        yield pricer.hourly(f"Application load balancer {balancer.name}", 1, "load_balancer_hour")
        if not balancer.inputs.get("internal"):
            yield pricer.hourly("Public IPv4 addresses (load balancer, one per AZ)",
                                len(balancer.inputs["subnets"]), "public_ipv4_hour")


def _web_acls(pricer: Pricer, acls: Sequence[Resource]) -> Iterator[Line]:
    acl_rate, rule_rate = pricer.price("waf_web_acl_month"), pricer.price("waf_rule_month")
    for acl in acls:
        rules = len(acl.inputs.get("rules") or [])
        yield Line(f"AWS WAF web ACL {acl.name}", f"1 web ACL + {rules} rules x 1 month",
                   None if acl_rate is None or rule_rate is None
                   else pricer.money(acl_rate + rule_rate * rules))


def _services(pricer: Pricer, services: Sequence[Resource]) -> Iterator[Line]:
    """Cloud Map instances of the Service Connect endpoints, then each service's Fargate tasks
    (EC2 capacity is priced by its Auto Scaling groups)."""
    endpoint_tasks = sum(s.inputs["desiredCount"] for s in services
                         if s.inputs.get("serviceConnectConfiguration", {}).get("services"))
    if endpoint_tasks:
        yield pricer.monthly("Cloud Map instances (Service Connect endpoint tasks)",
                             endpoint_tasks, "cloud_map_resource_month")
    tasks = {t.name: t for t in pricer.plan.of_type("aws:ecs/taskDefinition:TaskDefinition")}
    # With the stack's config, a task larger than its spec asks says so (the plan says why).
    resized = {r.service: f"right-sized from {r.asked} to {r.runs}, the smallest valid Fargate size"
               for r in (resized_tasks(pricer.config) if pricer.config else [])}
    discount = pricer.price("fargate_spot_discount") or Decimal(0)
    for service in services:
        task = tasks[service.name]
        if task.inputs["requiresCompatibilities"] != ["FARGATE"]:
            continue
        vcpu, gib = Decimal(task.inputs["cpu"]) / 1024, Decimal(task.inputs["memory"]) / 1024
        arch = task.inputs["runtimePlatform"]["cpuArchitecture"]
        count = service.inputs["desiredCount"]
        strategy = {s["capacityProvider"]: s for s in service.inputs["capacityProviderStrategies"]}
        spot = strategy.get("FARGATE_SPOT", {}).get("weight", 0) > 0
        on_demand = min(count, strategy.get("FARGATE", {}).get("base", 0)) if spot else count
        if on_demand:
            yield pricer.fargate(f"ECS Fargate {service.name}", Decimal(on_demand), vcpu, gib, arch,
                                 note=resized.get(service.name, ""))
        if count - on_demand:
            yield pricer.fargate(f"ECS Fargate Spot {service.name}", Decimal(count - on_demand),
                                 vcpu, gib, arch, discount, note="; ".join(filter(None, (
                                     "Spot discount ~70%, varies", resized.get(service.name)))))


# What the cost report calls the instances of its Auto Scaling groups.
INSTANCES_ITEM = "ECS container instances"

FACTS: dict[str, ResourceFacts] = {
    "aws:ecs/cluster:Cluster": ResourceFacts(
        "serving", ("name",), unique_by=("name",),
        source=TF + "ecs/cluster.go (DeleteCluster fails while services remain; Shipyard's are "
        "deleted first)", key_settings=("name", "settings"), mock_id="name",
        arn=("ecs", "cluster/{name}"), name_rule=_ecs_name("CreateCluster clusterName")),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": ResourceFacts(
        "serving", ("clusterName",), unique_by=("clusterName",),
        source=TF + "ecs/cluster_capacity_providers.go (one per cluster)",
        key_settings=("capacityProviders", "defaultCapacityProviderStrategies"),
        name_rule=NAMELESS),
    "aws:ecs/capacityProvider:CapacityProvider": ResourceFacts(
        "serving", ("name", "autoScalingGroupProvider.autoScalingGroupArn"), unique_by=("name",),
        source=TF + "ecs/capacity_provider.go", key_settings=("autoScalingGroupProvider",),
        arn=("ecs", "capacity-provider/{name}"),
        name_rule=_ecs_name("CreateCapacityProvider name", auto_named=True,
                            note="; not prefixed aws, ecs or fargate",
                            forbidden_prefixes=("aws", "ecs", "fargate"))),
    "aws:ecs/taskDefinition:TaskDefinition": ResourceFacts(
        "serving", (EVERY_INPUT,), source=TF + "ecs/task_definition.go (every change registers "
        "a new revision of the family; the service rolls to it)",
        key_settings=("family", "cpu", "memory", "runtimePlatform"),
        arn=("ecs", "task-definition/{family}:1"),
        name_rule=NameRule("family", "region", 1, 255, _ECS_NAME,
                           "ECS API RegisterTaskDefinition family: up to 255 letters, numbers, "
                           "underscores, hyphens")),
    "aws:ecs/service:Service": ResourceFacts(
        "serving", ("name", "cluster", "launchType", "schedulingStrategy", "deploymentController",
                    "role"), unique_by=("name", "cluster"),
        update_requires=(("capacityProviderStrategies", "forceNewDeployment"),),
        source=TF + "ecs/service.go (capacityProviderStrategyCustomizeDiff; the pulumi_aws.ecs."
        "Service docstring: \"Updating this argument requires `force_new_deployment = true`\")",
        key_settings=("name", "desiredCount", "capacityProviderStrategies", "platformVersion",
                      "serviceConnectConfiguration.services"),
        arn=("ecs", "service/{name}"), name_rule=_ecs_name("CreateService serviceName", scope="parent"),
        cost=_services),
    # description is ForceNew too, but components/ecs/cluster.py derives it from the name: it
    # never changes alone, and a new name is a namespace that can exist beside the old one.
    "aws:servicediscovery/httpNamespace:HttpNamespace": ResourceFacts(
        "serving", ("name",), unique_by=("name",), source=TF + "servicediscovery/http_namespace.go",
        key_settings=("name",), id_prefix="ns", arn=("servicediscovery", "namespace/{id}"),
        name_rule=FromBotocore("name", "region", "servicediscovery", "CreateHttpNamespace",
                               "Name")),
    "aws:appautoscaling/target:Target": ResourceFacts(
        "other", ("resourceId", "scalableDimension", "serviceNamespace"),
        unique_by=("resourceId", "scalableDimension", "serviceNamespace"),
        source=TF + "appautoscaling/target.go (RegisterScalableTarget updates in place)",
        key_settings=("minCapacity", "maxCapacity"), name_rule=NAMELESS),
    "aws:appautoscaling/policy:Policy": ResourceFacts(
        "other", ("name", "resourceId", "scalableDimension", "serviceNamespace"),
        unique_by=("name", "resourceId", "scalableDimension", "serviceNamespace"),
        source=TF + "appautoscaling/policy.go", key_settings=("policyType",),
        arn=("autoscaling", "scalingPolicy:{hex}:resource/ecs/{name}"),
        name_rule=FromBotocore("name", "parent", "application-autoscaling", "PutScalingPolicy",
                               "PolicyName", auto_named=True)),
    # --- load balancing
    "aws:lb/loadBalancer:LoadBalancer": ResourceFacts(
        "serving", ("name", "namePrefix", "internal", "loadBalancerType", "customerOwnedIpv4Pool"),
        unique_by=("name",), source=TF + "elbv2/load_balancer.go",
        key_settings=("internal", "loadBalancerType"),
        arn=("elasticloadbalancing", "loadbalancer/app/{name}/{hex}"), outputs=_load_balancer,
        name_rule=NameRule("name", "region", 1, 32, _ELB_NAME,
                           "ELB API CreateLoadBalancer Name: at most 32 alphanumerics and "
                           "hyphens, not starting or ending with a hyphen, not starting with "
                           "'internal-'", auto_named=True, forbidden_prefixes=("internal-",)),
        cost=_load_balancers),
    "aws:lb/targetGroup:TargetGroup": ResourceFacts(
        "serving", ("name", "namePrefix", "port", "protocol", "protocolVersion", "targetType",
                    "vpcId", "ipAddressType"), unique_by=("name",),
        source=TF + "elbv2/target_group.go", key_settings=("port", "targetType", "healthCheck"),
        arn=("elasticloadbalancing", "targetgroup/{name}/{hex}"),
        outputs=lambda call: {"arnSuffix": f"targetgroup/{call.name}/{call.digest[:16]}"},
        name_rule=NameRule("name", "region", 1, 32, _ELB_NAME,
                           "ELB API CreateTargetGroup Name: at most 32 alphanumerics and "
                           "hyphens, not starting or ending with a hyphen", auto_named=True)),
    "aws:lb/listener:Listener": ResourceFacts(
        "serving", ("loadBalancerArn",), unique_by=("loadBalancerArn", "port"),
        source=TF + "elbv2/listener.go", key_settings=("port", "protocol"),
        arn=("elasticloadbalancing", "listener/app/{name}/{hex}"), name_rule=NAMELESS),
    "aws:lb/listenerRule:ListenerRule": ResourceFacts(
        "serving", ("listenerArn",), unique_by=("listenerArn", "priority"),
        source=TF + "elbv2/listener_rule.go", key_settings=("priority", "conditions"),
        arn=("elasticloadbalancing", "listener-rule/app/{name}/{hex}"), name_rule=NAMELESS),
    "aws:lb/listenerCertificate:ListenerCertificate": ResourceFacts(
        "serving", ("listenerArn", "certificateArn"), source=TF + "elbv2/listener_certificate.go "
        "(a replacement names another pair)", key_settings=("certificateArn",),
        name_rule=NAMELESS),
    "aws:wafv2/webAcl:WebAcl": ResourceFacts(
        "other", ("name", "namePrefix", "scope"), unique_by=("name", "scope"),
        source=TF + "wafv2/web_acl.go", mock_id="uuid",
        arn=("wafv2", "regional/webacl/{name}/{id}"),
        outputs=lambda call: {"capacity": 925, "lockToken": uuid(f"{call.digest}/lock")},
        name_rule=FromBotocore("name", "region", "wafv2", "CreateWebACL", "Name",
                               auto_named=True), cost=_web_acls),
    "aws:wafv2/webAclAssociation:WebAclAssociation": ResourceFacts(
        "other", ("resourceArn", "webAclArn"), unique_by=("resourceArn",),
        source=TF + "wafv2/web_acl_association.go (Delete calls DisassociateWebACL with the "
        "resource ARN alone; pulumi/pulumi-aws#4782)", name_rule=NAMELESS),
    # --- the load balancer's access logs bucket
    # S3 user guide, "General purpose bucket naming rules": 3-63 lowercase letters, digits, dots
    # and hyphens, starting and ending with a letter or digit; unique across all of AWS.
    "aws:s3/bucket:Bucket": ResourceFacts(
        "other", ("bucket", "bucketPrefix", "objectLockEnabled"), unique_by=("bucket",),
        holds="the access logs in it", source=TF + "s3/bucket.go", mock_id="name",
        outputs=_bucket,
        name_rule=NameRule("bucket", "account", 3, 63, r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?",
                           "S3 bucket naming rules (S3 user guide)", auto_named=True,
                           forbidden_prefixes=("xn--", "sthree-", "amzn-s3-demo-"))),
    "aws:s3/bucketPolicy:BucketPolicy": _s3_part("s3/bucket_policy.go", ("bucket",)),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _s3_part(
        "s3/bucket_public_access_block.go"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _s3_part(
        "s3/bucket_ownership_controls.go", ("bucket",)),
    "aws:s3/bucketVersioning:BucketVersioning": _s3_part(
        "s3/bucket_versioning.go", (*_S3_PART, "mfa")),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        _s3_part("s3/bucket_server_side_encryption_configuration.go"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _s3_part(
        "s3/bucket_lifecycle_configuration.go"),
}
