"""The facts rows of resource types that shared code registers (network, IAM, ECR and images,
KMS and logs, launch templates and Auto Scaling groups, domains), once for every platform.

What a row holds, and where a platform's own rows live instead: shipyard/review/resource_facts.py.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Iterator, Sequence

from shipyard.aws.names import FromBotocore, NameRule
from shipyard.aws.naming import ecr_repository_url
from shipyard.review.cost import Line, Pricer, launch_template, root_volume_gb
from shipyard.review.mock_values import ACCOUNT_ID, MockCall, digest, image_digest
from shipyard.review.resource_facts import EVERY_INPUT, NAMELESS, TF, ResourceFacts

if TYPE_CHECKING:
    from shipyard.review.engine import Resource

_SG_RULE = ResourceFacts(
    "network", id_prefix="sgr", name_rule=NAMELESS,
    source=TF + "vpc/security_group_ingress_rule.go (framework; every attribute updates in "
    "place through ModifySecurityGroupRules)")


def _ecr_repository(call: MockCall) -> dict:
    return {"repositoryUrl": ecr_repository_url(ACCOUNT_ID, call.region, call.name),
            "registryId": ACCOUNT_ID}


def _certificate(call: MockCall) -> dict:
    # ACM's DNS validation: a CNAME under the domain pointing into acm-validations.aws.
    domain = call.inputs["domainName"]
    return {"domainValidationOptions": [{
        "domainName": domain, "resourceRecordName": f"_{call.digest[:16]}.{domain}.",
        "resourceRecordType": "CNAME",
        "resourceRecordValue": f"_{digest(call.digest, length=16)}.acm-validations.aws."}],
        "status": "PENDING_VALIDATION"}


def _image(call: MockCall) -> dict:
    pushed = image_digest(call.inputs)
    return {"digest": pushed, "ref": f"{call.inputs['tags'][0]}@{pushed}",
            "contextHash": digest(call.type, pushed, length=64)}


def _image_index(call: MockCall) -> dict:
    # An OCI index lists its platform images: its digest follows theirs.
    sources = "\n".join(sorted(s.rpartition("@")[2] for s in call.inputs["sources"]))
    return {"ref": f"{call.inputs['tag']}@sha256:{digest(call.type, sources, length=64)}"}


def _vpc_endpoint(call: MockCall) -> dict:
    if call.inputs.get("vpcEndpointType") == "Gateway":
        return {"prefixListId": f"pl-{call.digest[:8]}"}
    return {}


def _interface_endpoints(pricer: Pricer, endpoints: Sequence[Resource]) -> Iterator[Line]:
    interface = [e for e in endpoints if e.inputs["vpcEndpointType"] == "Interface"]
    if interface:
        az_hours = sum(len(e.inputs["subnetIds"]) for e in interface)
        yield pricer.hourly(f"Interface VPC endpoints ({len(interface)}, per AZ)", az_hours,
                            "interface_endpoint_az_hour")


def _instances(pricer: Pricer, groups: Sequence[Resource]) -> Iterator[Line]:
    """An Auto Scaling group starts `desiredCapacity` instances, or `minSize` when none is given
    (botocore's autoscaling model, CreateAutoScalingGroup: DesiredCapacity defaults to MinSize).
    The line is labelled by the platform whose component owns the group: its facts module's
    INSTANCES_ITEM, or its title."""
    from shipyard.platforms import PLATFORMS

    plan = pricer.plan
    for group in groups:
        template = launch_template(plan, group)
        platform = PLATFORMS[plan.by_urn(group.parent).type.split(":")[1]]  # shipyard:<name>:<Type>
        label = getattr(platform.hook("facts"), "INSTANCES_ITEM", f"{platform.title} instances")
        item = f"{label} {group.name}"
        count = group.inputs.get("desiredCapacity", group.inputs["minSize"])
        yield from pricer.ec2(item, count, template.inputs["instanceType"],
                              root_volume_gb(template))


FACTS: dict[str, ResourceFacts] = {
    # --- network
    "aws:ec2/vpc:Vpc": ResourceFacts(
        "network", ("cidrBlock", "instanceTenancy", "ipv4IpamPoolId"), source=TF + "ec2/vpc_.go",
        key_settings=("cidrBlock",), id_prefix="vpc", arn=("ec2", "vpc/{id}"),
        name_rule=NAMELESS),
    "aws:ec2/subnet:Subnet": ResourceFacts(
        "network", ("vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId"),
        source=TF + "ec2/vpc_subnet.go", key_settings=("availabilityZone", "cidrBlock"),
        id_prefix="subnet", arn=("ec2", "subnet/{id}"), name_rule=NAMELESS),
    "aws:ec2/internetGateway:InternetGateway": ResourceFacts(
        "network", source=TF + "ec2/vpc_internet_gateway.go (vpc_id attaches/detaches in place)",
        id_prefix="igw", name_rule=NAMELESS),
    "aws:ec2/natGateway:NatGateway": ResourceFacts(
        "network", ("allocationId", "subnetId", "connectivityType", "privateIp"),
        source=TF + "ec2/vpc_nat_gateway.go", id_prefix="nat", name_rule=NAMELESS,
        cost=lambda pricer, nats: [pricer.hourly("NAT gateways", len(nats), "nat_gateway_hour")]),
    "aws:ec2/eip:Eip": ResourceFacts(
        "network", ("domain", "address", "publicIpv4Pool", "networkBorderGroup"),
        source=TF + "ec2/ec2_eip.go", id_prefix="eipalloc", name_rule=NAMELESS,
        cost=lambda pricer, addresses: [pricer.hourly(
            "Public IPv4 addresses (NAT gateways)", len(addresses), "public_ipv4_hour")]),
    "aws:ec2/routeTable:RouteTable": ResourceFacts(
        "network", ("vpcId",), source=TF + "ec2/vpc_route_table.go", id_prefix="rtb",
        name_rule=NAMELESS),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ResourceFacts(
        "network", ("subnetId", "gatewayId"), unique_by=("subnetId",),
        source=TF + "ec2/vpc_route_table_association.go (a subnet has one association; "
        "route_table_id changes in place through ReplaceRouteTableAssociation)",
        id_prefix="rtbassoc", name_rule=NAMELESS),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ResourceFacts(
        "network", ("vpcId",), source=TF + "ec2/vpc_default_security_group.go (adopts the "
        "VPC's default group; delete only forgets it)", id_prefix="sg", name_rule=NAMELESS),
    "aws:ec2/securityGroup:SecurityGroup": ResourceFacts(
        "network", ("name", "namePrefix", "description", "vpcId"), unique_by=("name", "vpcId"),
        source=TF + "ec2/vpc_security_group.go", id_prefix="sg",
        arn=("ec2", "security-group/{id}"),
        name_rule=NameRule("name", "parent", 1, 255, r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+",
                           "EC2 API CreateSecurityGroup GroupName (VPC): up to 255 of a-z A-Z "
                           "0-9 space ._-:/()#,@[]+=&;{}!$*; not starting with sg-",
                           auto_named=True, forbidden_prefixes=("sg-",))),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": replace(
        _SG_RULE, key_settings=("fromPort", "toPort", "cidrIpv4", "description")),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _SG_RULE,
    "aws:ec2/vpcEndpoint:VpcEndpoint": ResourceFacts(
        "network", ("vpcId", "serviceName", "vpcEndpointType"), source=TF + "ec2/vpc_endpoint.go",
        key_settings=("serviceName", "vpcEndpointType"), id_prefix="vpce",
        outputs=_vpc_endpoint, name_rule=NAMELESS, cost=_interface_endpoints),
    "aws:ec2/flowLog:FlowLog": ResourceFacts(
        "network", ("vpcId", "subnetId", "trafficType", "logDestination", "logDestinationType",
                    "iamRoleArn", "maxAggregationInterval", "logFormat", "destinationOptions"),
        source=TF + "ec2/vpc_flow_log.go (every argument ForceNew but tags)",
        key_settings=("trafficType", "logDestinationType"), id_prefix="fl", name_rule=NAMELESS),
    # --- capacity (ECS container instances, EKS self-managed nodes)
    "aws:ec2/launchTemplate:LaunchTemplate": ResourceFacts(
        "network", ("name", "namePrefix"), unique_by=("name",),
        source=TF + "ec2/ec2_launch_template.go (other changes create a new version)",
        key_settings=("instanceType", "metadataOptions"), id_prefix="lt",
        arn=("ec2", "launch-template/{id}"), outputs={"latestVersion": 1, "defaultVersion": 1},
        name_rule=NameRule("name", "region", 3, 128, r"[a-zA-Z0-9().\-/_]+",
                           "EC2 API CreateLaunchTemplate LaunchTemplateName: 3-128 characters, "
                           r"[a-zA-Z0-9\(\)\.\-/_]+", auto_named=True)),
    "aws:autoscaling/group:Group": ResourceFacts(
        "other", ("name", "namePrefix"), unique_by=("name",), source=TF + "autoscaling/group.go",
        key_settings=("minSize", "maxSize", "desiredCapacity"),
        arn=("autoscaling", "autoScalingGroup:{hex}:autoScalingGroupName/{name}"),
        name_rule=FromBotocore("name", "region", "autoscaling", "CreateAutoScalingGroup",
                               "AutoScalingGroupName", auto_named=True), cost=_instances),
    # --- logs and keys
    "aws:cloudwatch/logGroup:LogGroup": ResourceFacts(
        "other", ("name", "namePrefix", "logGroupClass"), unique_by=("name",),
        holds="the service's logs (kept for logRetentionDays otherwise)",
        source=TF + "logs/group.go", key_settings=("name", "retentionInDays"),
        arn=("logs", "log-group:{name}"),
        name_rule=FromBotocore("name", "region", "logs", "CreateLogGroup", "logGroupName",
                               auto_named=True)),
    "aws:kms/key:Key": ResourceFacts(
        "security", ("keyUsage", "customerMasterKeySpec", "multiRegion", "xksKeyId",
                     "customKeyStoreId"),
        holds="everything encrypted with it (a deleted key is scheduled for deletion, then "
        "that data is unreadable)", source=TF + "kms/key.go",
        key_settings=("enableKeyRotation", "deletionWindowInDays"), mock_id="uuid",
        arn=("kms", "key/{id}"), outputs=lambda call: {"keyId": call.resource_id},
        name_rule=NAMELESS,
        cost=lambda pricer, keys: [pricer.monthly("KMS keys", len(keys), "kms_key_month")]),
    # Beyond the botocore pattern (KMS API CreateAlias): aliases start with alias/, and
    # alias/aws/ is reserved for AWS managed keys.
    "aws:kms/alias:Alias": ResourceFacts(
        "security", ("name", "namePrefix"), unique_by=("name",),
        source=TF + "kms/alias.go (target_key_id updates in place)",
        name_rule=FromBotocore("name", "region", "kms", "CreateAlias", "AliasName",
                               forbidden_prefixes=("alias/aws/",), required_prefix="alias/")),
    # --- IAM
    "aws:iam/role:Role": ResourceFacts(
        "security", ("name", "namePrefix", "path"), unique_by=("name",), source=TF + "iam/role.go",
        mock_id="name", arn=("iam", "role/{name}"),
        name_rule=FromBotocore("name", "account", "iam", "CreateRole", "RoleName",
                               auto_named=True)),
    "aws:iam/instanceProfile:InstanceProfile": ResourceFacts(
        "security", ("name", "namePrefix", "path"), unique_by=("name",),
        source=TF + "iam/instance_profile.go", arn=("iam", "instance-profile/{name}"),
        name_rule=FromBotocore("name", "account", "iam", "CreateInstanceProfile",
                               "InstanceProfileName", auto_named=True)),
    "aws:iam/rolePolicy:RolePolicy": ResourceFacts(
        "security", ("name", "namePrefix", "role"), unique_by=("name", "role"),
        source=TF + "iam/role_policy.go",
        name_rule=FromBotocore("name", "parent", "iam", "PutRolePolicy", "PolicyName",
                               auto_named=True)),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ResourceFacts(
        "security", ("role", "policyArn"), source=TF + "iam/role_policy_attachment.go (a "
        "replacement names another role or policy, so it never collides)", name_rule=NAMELESS),
    # --- ECR and images
    "aws:ecr/repository:Repository": ResourceFacts(
        "images", ("name", "encryptionConfigurations"), unique_by=("name",),
        holds="every image in it, which other stacks pull", source=TF + "ecr/repository.go",
        key_settings=("name", "imageTagMutability", "imageScanningConfiguration", "forceDelete",
                      "imageTagMutabilityExclusionFilters"),
        arn=("ecr", "repository/{name}"), outputs=_ecr_repository,
        name_rule=FromBotocore("name", "region", "ecr", "CreateRepository", "repositoryName")),
    # No Update: a new policy replaces it, and the old one's delete (DeleteLifecyclePolicy by
    # repository) would remove the policy its replacement just put.
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": ResourceFacts(
        "images", ("repository", "policy"), unique_by=("repository",),
        source=TF + "ecr/lifecycle_policy.go", name_rule=NAMELESS),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": ResourceFacts(
        "images", ("repository",), unique_by=("repository",),
        source=TF + "ecr/repository_policy.go", name_rule=NAMELESS),
    "docker-build:index:Image": ResourceFacts(
        "images", holds="the pushed manifest, by digest: the digest other stacks were promoted to",
        retain=True, source="pulumi-docker-build v0.0.22 provider/internal/image.go Delete "
        "(deletes pushed tags; docs: use retainOnDelete)",
        key_settings=("context", "dockerfile", "target", "platforms", "push"), outputs=_image),
    "docker-build:index:Index": ResourceFacts(
        "images", holds="the pushed index, by digest", retain=True,
        source="pulumi-docker-build v0.0.22 provider/internal/index.go Delete",
        key_settings=("tag", "push"), outputs=_image_index),
    # --- domains
    "aws:acm/certificate:Certificate": ResourceFacts(
        "security", ("domainName", "subjectAlternativeNames", "validationMethod", "keyAlgorithm",
                     "certificateAuthorityArn", "privateKey", "certificateBody",
                     "certificateChain"),
        source=TF + "acm/certificate.go (create-before-delete: a new certificate can exist "
        "beside the old)", key_settings=("domainName", "validationMethod"),
        arn=("acm", "certificate/{uuid}"), outputs=_certificate, name_rule=NAMELESS),
    "aws:acm/certificateValidation:CertificateValidation": ResourceFacts(
        "security", (EVERY_INPUT,), source=TF + "acm/certificate_validation.go (a wait, no AWS "
        "object)", name_rule=NAMELESS),
    # Route 53 record names live in the hosted zone every stack shares: a DNS name (RFC 1035:
    # at most 255 characters, labels of at most 63).
    "aws:route53/record:Record": ResourceFacts(
        "network", ("zoneId", "name", "type", "setIdentifier"), unique_by=("zoneId", "name", "type"),
        source=TF + "route53/record.go (allow_overwrite lets a replacement take over the name)",
        key_settings=("name", "type", "aliases"),
        outputs=lambda call: {"fqdn": str(call.inputs["name"]).rstrip(".")},
        name_rule=NameRule("name", "account", 1, 255,
                           r"(?:[A-Za-z0-9_*](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?)+",
                           "Route 53 ChangeResourceRecordSets Name (DNS name, RFC 1035 lengths)")),
}

