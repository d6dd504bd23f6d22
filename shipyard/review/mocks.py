"""Believable provider answers for offline runs: each resource's id, ARN and computed outputs
as its facts row says (shipyard/review/resource_facts.py), and the invokes the program makes.

Everything is derived from the resource's type and name with a hash, never from randomness or
the clock, so two runs of the same stack record identical values (shipyard/review/mock_values.py).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Iterable, Mapping, Optional

import pulumi
from pulumi.runtime import rpc

from shipyard.aws.naming import ecr_repository_url, stack_neutral
from shipyard.aws.zones import zone_id_prefix
from shipyard.platforms import resource_facts
from shipyard.review.mock_values import (
    ACCOUNT_ID,
    ALB_ZONE_ID,
    NLB_ZONE_ID,
    MockCall,
    digest,
    uuid,
)
from shipyard.review.resource_facts import ResourceFacts

# Who runs `pulumi up` offline: a CI deploy role's session, as GitHub OIDC or `aws sso` give.
CALLER_ARN = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/shipyard-deploy/pulumi"
# Global services have no region in their ARNs.
_GLOBAL = {"iam"}
# Shipyard's own components have no cloud state, so no row: only the engine's id.
_COMPONENT = ResourceFacts("other")


# What a plan shows that the mocks made up, and `pulumi up` learns from AWS instead: (what, a
# pattern matching it in the plan's inputs and outputs). The plan names each one it contains.
PLACEHOLDERS = (
    ("AWS account id", re.escape(ACCOUNT_ID)),
    ("AMI ids", r"\bami-[0-9a-f]{17}\b"),
    # (not the OIDC issuer's host, oidc.eks.<region>.amazonaws.com: that one is AWS's own)
    ("DNS names", r"(?<![\w.-])(?!oidc\.)[\w.-]+\.(?:elb|eks)\.[\w.-]*amazonaws\.com"),
    ("hosted zone ids", r"\bZ[0-9A-F]{20}\b"),
    ("availability zone names", r"\b[a-z]{2}-[a-z]+-\d[a-z]\b"),
)
# Built images' digests are the mocks' hash of the build's files, not BuildKit's.
BUILD_DIGEST = r"sha256:[0-9a-f]{64}"


def resource_id_pattern() -> str:
    """The ids the mocks give (each facts row's id_prefix, and a prefix list's pl-), matched with
    the prefix as a group: the plan shows them by prefix."""
    prefixes = {row.id_prefix for row in resource_facts().values() if row.id_prefix} | {"pl"}
    return rf"\b((?:{'|'.join(sorted(prefixes))})-)[0-9a-f]{{8,17}}\b"


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


def secret_answer(value: Any) -> dict[str, Any]:
    """`value` as a provider answers a sensitive output: wrapped as a secret on the wire
    (pulumi/runtime/rpc.py, the secret signature)."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def secret_document(arn: str, keys: Iterable[str] = ()) -> dict[str, str]:
    """A Secrets Manager secret as teams store database credentials (the shape RDS-managed
    secrets have), plus every JSON key the stack's references ask for."""
    fields = ["engine", "host", "port", "username", "password", "dbname", *keys]
    return {key: f"offline-{key}-{digest(arn, key, length=8)}" for key in sorted(set(fields))}


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
        row = resource_facts().get(args.typ)
        if row is None and args.typ.startswith("shipyard:"):
            row = _COMPONENT
        if row is None:
            raise NotImplementedError(f"{args.typ} has no facts row: add one "
                                      "(shipyard/review/resource_facts.py says where)")
        hashed = digest(args.typ, stack_neutral(args.name, self._project, self._stack))
        resource_id = {"uuid": uuid(hashed), "hex25": digest(hashed, length=25)}.get(
            row.mock_id, f"{args.name}-id")
        if row.id_prefix:
            resource_id = f"{row.id_prefix}-{hashed}"
        state: dict[str, Any] = {}
        if "name" not in inputs and args.typ.startswith("aws:"):
            # Pulumi's auto-naming: logical name, a dash and 7 random characters.
            state["name"] = f"{args.name}-{hashed[:7]}"
        name = inputs.get("name") or state.get("name")
        if row.arn:
            service, path = row.arn
            state["arn"] = self._arn(service, path.format(
                id=resource_id, name=name, hex=hashed[:16], family=inputs.get("family"),
                uuid=uuid(hashed)))
        state.update(row.mock_outputs(MockCall(args.typ, args.name, name, resource_id, hashed,
                                               inputs, self.region)))
        if row.mock_id == "name":  # the id AWS answers is the physical name
            resource_id = {**inputs, **state}[getattr(row.name_rule, "field", "name")]
        # Only what the provider computes: outside a preview the SDK answers every other output
        # from the resource's own inputs (pulumi/runtime/rpc.py resolve_outputs), so echoing
        # them would serialize and read each input twice more.
        return resource_id, state

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
            return {"name": inputs["name"], "type": "String", "value": f"ami-{digest(inputs['name'])}",
                    "arn": self._arn("ssm", f"parameter{inputs['name']}"), "version": 1,
                    "insecureValue": f"ami-{digest(inputs['name'])}", "id": inputs["name"],
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
            password = f"offline-ecr-token-{digest(registry, length=16)}"
            return {"authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode(),
                    "userName": "AWS", "password": password, "registryId": registry,
                    "proxyEndpoint": f"https://{registry}.dkr.ecr.{self.region}.amazonaws.com",
                    "expiresAt": "2026-01-01T12:00:00Z", "id": self.region}
        if token == "aws:ecr/getImage:getImage":
            # As DescribeImages answers for the tag: the manifest digest it points at now.
            registry, name = inputs.get("registryId") or ACCOUNT_ID, inputs["repositoryName"]
            image_digest = f"sha256:{digest(registry, name, inputs['imageTag'], length=64)}"
            return {"registryId": registry, "repositoryName": name, "imageDigest": image_digest,
                    "imageTag": inputs["imageTag"], "imageTags": [inputs["imageTag"]],
                    "imageUri": f"{ecr_repository_url(registry, self.region, name)}@{image_digest}",
                    "imagePushedAt": 1767225600, "imageSizeInBytes": 52428800,
                    "id": image_digest}
        if token == "aws:secretsmanager/getSecretVersion:getSecretVersion":
            arn = inputs["secretId"]
            return {"arn": arn, "id": f"{arn}|AWSCURRENT", "secretId": arn,
                    # Sensitive in the provider's schema, so answered as a secret, which makes
                    # the SDK mark the whole result secret (pulumi/runtime/invoke.py), as a
                    # real `pulumi up` does.
                    "secretString": secret_answer(json.dumps(
                        secret_document(arn, self._secret_keys.get(arn, ())))),
                    "versionId": digest(arn, "version", length=32), "versionStage": "AWSCURRENT",
                    "versionStages": ["AWSCURRENT"], "createdDate": "2026-01-01T00:00:00Z"}
        if token == "aws:route53/getZone:getZone":
            zone_id = f"Z{digest(inputs['name'], length=20).upper()}"
            return {"name": inputs["name"], "zoneId": zone_id, "id": zone_id,
                    "privateZone": False, "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
                    "nameServers": [f"ns-{i}.awsdns-{i}.org" for i in range(1, 5)],
                    "resourceRecordSetCount": 4, "callerReference": "offline", "comment": ""}
        if token == "aws:lb/getHostedZoneId:getHostedZoneId":
            zone = NLB_ZONE_ID if inputs.get("loadBalancerType") == "network" else ALB_ZONE_ID
            return {"id": zone, "loadBalancerType": inputs.get("loadBalancerType")}
        raise NotImplementedError(f"the offline engine does not answer the invoke {token}")
