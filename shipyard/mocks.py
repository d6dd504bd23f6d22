"""Believable provider answers for offline runs: computed outputs per resource type, and invokes.

Everything is derived from the resource's type and name with a hash, never from randomness or
the clock, so two runs of the same stack record identical values.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

import pulumi

from shipyard import PROJECT_ROOT
from shipyard.naming import ecr_repository_url, stack_neutral
from shipyard.zones import zone_id_prefix

ACCOUNT_ID = "123456789012"
# Who runs `pulumi up` offline: a CI deploy role's session, as GitHub OIDC or `aws sso` give.
CALLER_ARN = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/shipyard-deploy/pulumi"

# Resource type -> prefix of the id AWS assigns.
_ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc", "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw", "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc", "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/securityGroup:SecurityGroup": "sg", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/flowLog:FlowLog": "fl", "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:servicediscovery/httpNamespace:HttpNamespace": "ns",
}

# Resource type -> (ARN service, resource path template) for resources that have an ARN.
_ARNS = {
    "aws:ec2/vpc:Vpc": ("ec2", "vpc/{id}"),
    "aws:ec2/subnet:Subnet": ("ec2", "subnet/{id}"),
    "aws:ec2/securityGroup:SecurityGroup": ("ec2", "security-group/{id}"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("ec2", "launch-template/{id}"),
    "aws:ecr/repository:Repository": ("ecr", "repository/{name}"),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "log-group:{name}"),
    "aws:iam/role:Role": ("iam", "role/{name}"),
    "aws:iam/policy:Policy": ("iam", "policy/{name}"),
    "aws:iam/instanceProfile:InstanceProfile": ("iam", "instance-profile/{name}"),
    "aws:kms/key:Key": ("kms", "key/{id}"),
    "aws:ecs/cluster:Cluster": ("ecs", "cluster/{name}"),
    "aws:ecs/capacityProvider:CapacityProvider": ("ecs", "capacity-provider/{name}"),
    "aws:ecs/taskDefinition:TaskDefinition": ("ecs", "task-definition/{family}:1"),
    "aws:ecs/service:Service": ("ecs", "service/{name}"),
    "aws:lb/loadBalancer:LoadBalancer": ("elasticloadbalancing", "loadbalancer/app/{name}/{hex}"),
    "aws:lb/targetGroup:TargetGroup": ("elasticloadbalancing", "targetgroup/{name}/{hex}"),
    "aws:lb/listener:Listener": ("elasticloadbalancing", "listener/app/{name}/{hex}"),
    "aws:lb/listenerRule:ListenerRule": ("elasticloadbalancing", "listener-rule/app/{name}/{hex}"),
    "aws:autoscaling/group:Group": ("autoscaling", "autoScalingGroup:{hex}:autoScalingGroupName/{name}"),
    "aws:eks/fargateProfile:FargateProfile": ("eks", "fargateprofile/{name}"),
    "aws:eks/addon:Addon": ("eks", "addon/{name}"),
    "aws:appautoscaling/policy:Policy": ("autoscaling", "scalingPolicy:{hex}:resource/ecs/{name}"),
    "aws:acm/certificate:Certificate": ("acm", "certificate/{uuid}"),
    "aws:servicediscovery/httpNamespace:HttpNamespace": ("servicediscovery", "namespace/{id}"),
    "aws:wafv2/webAcl:WebAcl": ("wafv2", "regional/webacl/{name}/{id}"),
}
# What a plan shows that the mocks made up, and `pulumi up` learns from AWS instead: (what, a
# pattern matching it in the plan's inputs and outputs). The plan names each one it contains.
PLACEHOLDERS = (
    ("AWS account id", re.escape(ACCOUNT_ID)),
    # shown by prefix: the ids the mocks give (_ID_PREFIXES, and a prefix list's pl-)
    ("resource ids", rf"\b((?:{'|'.join(sorted({*_ID_PREFIXES.values(), 'pl'}))})-)[0-9a-f]{{8,17}}\b"),
    ("AMI ids", r"\bami-[0-9a-f]{17}\b"),
    # (not the OIDC issuer's host, oidc.eks.<region>.amazonaws.com: that one is AWS's own)
    ("DNS names", r"(?<![\w.-])(?!oidc\.)[\w.-]+\.(?:elb|eks)\.[\w.-]*amazonaws\.com"),
    ("hosted zone ids", r"\bZ[0-9A-F]{20}\b"),
    ("availability zone names", r"\b[a-z]{2}-[a-z]+-\d[a-z]\b"),
)
# Built images' digests are the mocks' hash of the build's files, not BuildKit's.
BUILD_DIGEST = r"sha256:[0-9a-f]{64}"

# Canonical hosted zones of load balancers in us-east-1, for alias records ("Elastic Load
# Balancing endpoints and quotas" in the AWS General Reference).
ALB_ZONE_ID = "Z35SXDOTRQ7X7K"
NLB_ZONE_ID = "Z26RNL4JYFTOTI"
# Resource types whose AWS id is a UUID (KMS key ids, WAF web ACL ids).
_UUID_IDS = {"aws:kms/key:Key", "aws:wafv2/webAcl:WebAcl"}
# Global services have no region in their ARNs.
_GLOBAL = {"iam"}


def _digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


# One real account's us-east-1 name -> zone ID mapping (names are shuffled per account; use1-az3
# is the zone EKS rejects). Other regions get four zones, names and IDs rotated by one.
US_EAST_1_ZONES = (("us-east-1a", "use1-az4"), ("us-east-1b", "use1-az6"),
                   ("us-east-1c", "use1-az1"), ("us-east-1d", "use1-az2"),
                   ("us-east-1e", "use1-az3"), ("us-east-1f", "use1-az5"))


def availability_zones(region: str) -> tuple[tuple[str, str], ...]:
    if region == "us-east-1":
        return US_EAST_1_ZONES
    prefix = zone_id_prefix(region)
    return tuple((f"{region}{letter}", f"{prefix}-az{(index + 1) % 4 + 1}")
                 for index, letter in enumerate("abcd"))


def _dockerignored(relative: str, patterns: list[str]) -> bool:
    """Whether `.dockerignore` patterns (without `!` exceptions) exclude a context path."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatchcase(prefix, pattern) or fnmatch.fnmatchcase(
        prefix.rsplit("/", 1)[-1], pattern.removeprefix("**/"))
        for pattern in patterns for prefix in prefixes)


def image_digest(inputs: dict[str, Any], root: Path = PROJECT_ROOT) -> str:
    """What BuildKit would push: a digest of the build's definition and of the files its
    context sends (less `.dockerignore`d ones), so a code change gives a new digest and an
    unchanged build the same one."""
    content = hashlib.sha256(json.dumps(
        {key: inputs.get(key) for key in ("dockerfile", "buildArgs", "target", "platforms")},
        sort_keys=True).encode())
    context = root / inputs["context"]["location"]
    ignore_file = context / ".dockerignore"
    ignored = [line.strip().strip("/") for line in (
        ignore_file.read_text().splitlines() if ignore_file.exists() else [])
        if line.strip() and not line.startswith(("#", "!"))]
    for file in sorted(p for p in context.rglob("*") if p.is_file()):
        relative = file.relative_to(context).as_posix()
        if not _dockerignored(relative, ignored):
            content.update(relative.encode() + b"\0" + file.read_bytes())
    return f"sha256:{content.hexdigest()}"
def _uuid(digest: str) -> str:
    text = _digest(digest, length=32)
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def kubeconfig(cluster_name: str, endpoint: str) -> dict[str, Any]:
    """A kubeconfig for an EKS cluster, shaped as `aws eks update-kubeconfig` writes it."""
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": "aws",
        "clusters": [{"name": "kubernetes", "cluster": {
            "server": endpoint, "certificate-authority-data": "LS0tLS1CRUdJTi1DRVJUSUZJQ0FURS0tLS0t"}}],
        "contexts": [{"name": "aws", "context": {"cluster": "kubernetes", "user": "aws"}}],
        "users": [{"name": "aws", "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--output", "json"]}}}],
    }


def secret_document(arn: str, keys: Iterable[str] = ()) -> dict[str, str]:
    """A Secrets Manager secret as teams store database credentials (the shape RDS-managed
    secrets have), plus every JSON key the stack's references ask for."""
    fields = ["engine", "host", "port", "username", "password", "dbname", *keys]
    return {key: f"offline-{key}-{_digest(arn, key, length=8)}" for key in sorted(set(fields))}


class ShipyardMocks(pulumi.runtime.Mocks):
    def __init__(self, region: str, stack: str, project: str,
                 secret_keys: Optional[Mapping[str, Iterable[str]]] = None):
        self.region = region
        # Secret ARN -> the JSON keys the config references in it (`<arn>:<key>::`).
        self._secret_keys = dict(secret_keys or {})
        # Ids hash the stack-neutral name, so the same resource in two stacks gets the same id
        # and stack-to-stack diffs show only real differences.
        self._stack, self._project = stack, project

    def _arn(self, service: str, path: str) -> str:
        region = "" if service in _GLOBAL else self.region
        account = "aws" if path.startswith("policy/aws") else ACCOUNT_ID
        return f"arn:aws:{service}:{region}:{account}:{path}"

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        inputs = dict(args.inputs)
        digest = _digest(args.typ, stack_neutral(args.name, self._project, self._stack))
        prefix = _ID_PREFIXES.get(args.typ)
        resource_id = f"{prefix}-{digest}" if prefix else f"{args.name}-id"
        if args.typ in _UUID_IDS:
            resource_id = _uuid(digest)
        state: dict[str, Any] = {}
        if args.typ == "aws:s3/bucket:Bucket":
            # Pulumi auto-names buckets in lowercase; the bucket's id is its name, and S3 ARNs
            # carry neither region nor account.
            bucket = inputs.get("bucket") or f"{args.name.lower()}-{digest[:7]}"
            return bucket, {**inputs, "bucket": bucket, "arn": f"arn:aws:s3:::{bucket}",
                            "bucketDomainName": f"{bucket}.s3.amazonaws.com",
                            "bucketRegionalDomainName": f"{bucket}.s3.{self.region}.amazonaws.com",
                            "region": self.region}
        if "name" not in inputs and args.typ.startswith("aws:"):
            # Pulumi's auto-naming: logical name, a dash and 7 random characters.
            state["name"] = f"{args.name}-{digest[:7]}"
        name = inputs.get("name") or state.get("name")
        if args.typ in _ARNS:
            service, path = _ARNS[args.typ]
            state["arn"] = self._arn(service, path.format(
                id=resource_id, name=name, hex=digest[:16], family=inputs.get("family"),
                uuid=_uuid(digest)))
        state.update(self._computed(args.typ, name, resource_id, digest, inputs))
        if args.typ in ("aws:iam/role:Role", "aws:ecs/cluster:Cluster"):
            resource_id = name
        return resource_id, {**inputs, **state}

    def _computed(self, typ: str, name: str, resource_id: str, digest: str,
                  inputs: dict) -> dict[str, Any]:
        if typ == "aws:ecr/repository:Repository":
            return {"repositoryUrl": ecr_repository_url(ACCOUNT_ID, self.region, name),
                    "registryId": ACCOUNT_ID}
        if typ == "aws:lb/loadBalancer:LoadBalancer":
            return {"dnsName": f"{name}-{int(digest[:9], 16)}.{self.region}.elb.amazonaws.com",
                    "zoneId": ALB_ZONE_ID, "arnSuffix": f"app/{name}/{digest[:16]}"}
        if typ == "aws:acm/certificate:Certificate":
            # ACM's DNS validation: a CNAME under the domain pointing into acm-validations.aws.
            domain = inputs["domainName"]
            return {"domainValidationOptions": [{
                "domainName": domain, "resourceRecordName": f"_{digest[:16]}.{domain}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_digest(digest, length=16)}.acm-validations.aws."}],
                "status": "PENDING_VALIDATION"}
        if typ == "aws:route53/record:Record":
            return {"fqdn": str(inputs["name"]).rstrip(".")}
        if typ == "kubernetes:core/v1:Service" and inputs.get("spec", {}).get("type") == "LoadBalancer":
            # The cloud provider's load balancer, as Kubernetes reports it in the status.
            hostname = f"a{digest[:16]}-{int(digest[:9], 16)}.elb.{self.region}.amazonaws.com"
            return {"status": {"loadBalancer": {"ingress": [{"hostname": hostname}]}}}
        if typ == "aws:lb/targetGroup:TargetGroup":
            return {"arnSuffix": f"targetgroup/{name}/{digest[:16]}"}
        if typ == "aws:kms/key:Key":
            return {"keyId": resource_id}
        if typ == "aws:ec2/vpcEndpoint:VpcEndpoint" and inputs.get("vpcEndpointType") == "Gateway":
            return {"prefixListId": f"pl-{digest[:8]}"}
        if typ == "aws:wafv2/webAcl:WebAcl":
            return {"capacity": 925, "lockToken": _uuid(f"{digest}/lock")}
        if typ == "aws:ec2/launchTemplate:LaunchTemplate":
            return {"latestVersion": 1, "defaultVersion": 1}
        if typ == "eks:index:Cluster":
            cluster = inputs.get("name") or name
            endpoint = f"https://{_digest(typ, digest, length=32).upper()}.gr7.{self.region}.eks.amazonaws.com"
            config = kubeconfig(cluster, endpoint)
            issuer = f"oidc.eks.{self.region}.amazonaws.com/id/{_digest(typ, digest, length=32).upper()}"
            return {"kubeconfig": config, "kubeconfigJson": json.dumps(config),
                    "oidcIssuer": issuer, "oidcProviderUrl": f"https://{issuer}",
                    "oidcProviderArn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{issuer}",
                    "clusterSecurityGroupId": f"sg-{digest}", "nodeSecurityGroupId": f"sg-{digest[::-1]}"}
        if typ == "docker-build:index:Image":
            digest = image_digest(inputs)
            return {"digest": digest, "ref": f"{inputs['tags'][0]}@{digest}",
                    "contextHash": _digest(typ, digest, length=64)}
        if typ == "docker-build:index:Index":
            # An OCI index lists its platform images: its digest follows theirs.
            sources = "\n".join(sorted(s.rpartition("@")[2] for s in inputs["sources"]))
            return {"ref": f"{inputs['tag']}@sha256:{_digest(typ, sources, length=64)}"}
        if typ == "eks:index:ManagedNodeGroup":
            return {"nodeGroup": None}
        return {}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        token, inputs = args.token, args.args
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names, zone_ids = zip(*availability_zones(self.region))
            return {"names": list(names), "zoneIds": list(zone_ids), "state": "available",
                    "id": self.region, "groupNames": [self.region]}
        if token == "aws:ecr/getRepository:getRepository":
            # As DescribeRepositories answers for a repository the owning stack created.
            name = inputs["name"]
            return {"name": name, "id": name, "registryId": ACCOUNT_ID,
                    "arn": self._arn("ecr", f"repository/{name}"),
                    "repositoryUrl": ecr_repository_url(ACCOUNT_ID, self.region, name),
                    "imageTagMutability": "IMMUTABLE",
                    "imageScanningConfigurations": [{"scanOnPush": True}],
                    "encryptionConfigurations": [{"encryptionType": "AES256", "kmsKey": ""}],
                    "mostRecentImageTags": [], "tags": {}}
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": CALLER_ARN,
                    "userId": "AROAEXAMPLE:pulumi", "id": ACCOUNT_ID}
        if token == "aws:index/getRegion:getRegion":
            return {"region": self.region, "name": self.region, "id": self.region,
                    "endpoint": f"ec2.{self.region}.amazonaws.com", "description": self.region}
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws",
                    "reverseDnsPrefix": "com.amazonaws"}
        if token == "aws:ssm/getParameter:getParameter":
            return {"name": inputs["name"], "type": "String", "value": f"ami-{_digest(inputs['name'])}",
                    "arn": self._arn("ssm", f"parameter{inputs['name']}"), "version": 1,
                    "insecureValue": f"ami-{_digest(inputs['name'])}", "id": inputs["name"],
                    "withDecryption": True}
        if token == "aws:eks/getAddonVersion:getAddonVersion":
            # (default, most recent) build per add-on, as DescribeAddonVersions lists them.
            default, newest = {"coredns": ("v1.12.3-eksbuild.1", "v1.12.4-eksbuild.1"),
                               "metrics-server": ("v0.7.2-eksbuild.4", "v0.8.0-eksbuild.2"),
                               "eks-pod-identity-agent": ("v1.3.7-eksbuild.2", "v1.3.8-eksbuild.2"),
                               }.get(inputs["addonName"], ("v1.0.0-eksbuild.1", "v1.0.1-eksbuild.1"))
            most_recent = bool(inputs.get("mostRecent", False))
            return {"addonName": inputs["addonName"], "kubernetesVersion": inputs["kubernetesVersion"],
                    "mostRecent": most_recent, "version": newest if most_recent else default,
                    "id": inputs["addonName"]}
        if token == "aws:ec2/getVpc:getVpc":
            return {"id": inputs["id"], "arn": self._arn("ec2", f"vpc/{inputs['id']}"),
                    "cidrBlock": "10.50.0.0/16", "state": "available", "default": False,
                    "enableDnsHostnames": True, "enableDnsSupport": True, "ownerId": ACCOUNT_ID}
        if token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            registry = inputs.get("registryId") or ACCOUNT_ID
            password = f"offline-ecr-token-{_digest(registry, length=16)}"
            return {"authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode(),
                    "userName": "AWS", "password": password, "registryId": registry,
                    "proxyEndpoint": f"https://{registry}.dkr.ecr.{self.region}.amazonaws.com",
                    "expiresAt": "2026-01-01T12:00:00Z", "id": self.region}
        if token == "aws:secretsmanager/getSecretVersion:getSecretVersion":
            arn = inputs["secretId"]
            return {"arn": arn, "id": f"{arn}|AWSCURRENT", "secretId": arn,
                    "secretString": json.dumps(secret_document(arn, self._secret_keys.get(arn, ()))),
                    "versionId": _digest(arn, "version", length=32), "versionStage": "AWSCURRENT",
                    "versionStages": ["AWSCURRENT"], "createdDate": "2026-01-01T00:00:00Z"}
        if token == "aws:route53/getZone:getZone":
            zone_id = f"Z{_digest(inputs['name'], length=20).upper()}"
            return {"name": inputs["name"], "zoneId": zone_id, "id": zone_id,
                    "privateZone": False, "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
                    "nameServers": [f"ns-{i}.awsdns-{i}.org" for i in range(1, 5)],
                    "resourceRecordSetCount": 4, "callerReference": "offline", "comment": ""}
        if token == "aws:lb/getHostedZoneId:getHostedZoneId":
            zone = NLB_ZONE_ID if inputs.get("loadBalancerType") == "network" else ALB_ZONE_ID
            return {"id": zone, "loadBalancerType": inputs.get("loadBalancerType")}
        raise NotImplementedError(f"the offline engine does not answer the invoke {token}")
