"""GIVEN one passing and one failing set of resources per control (shared by test_controls.py and
test_policy_pack.py, so the CLI and the CrossGuard pack are held to the same cases)."""

from __future__ import annotations

import json
from typing import Any

from shipyard.review.controls import Resource


def res(type_: str, logical: str = "r", protect: bool = False,
        depends_on: tuple[Resource, ...] = (), **inputs: Any) -> Resource:
    return Resource(f"urn:pulumi:test::shipyard::{type_}::{logical}", type_, logical, inputs,
                    protect, tuple(d.urn for d in depends_on))


REPO = "aws:ecr/repository:Repository"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
EKS = "eks:index:Cluster"
ALB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
VPC = "aws:ec2/vpc:Vpc"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
KEY = "aws:kms/key:Key"

GOOD_CONTAINER = {"name": "app", "privileged": False, "readonlyRootFilesystem": True,
                  "environment": [{"name": "LOG_LEVEL", "value": "info"}],
                  "logConfiguration": {"logDriver": "awslogs"}}
GOOD_POD = {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "volumes": [{"name": "tmp", "emptyDir": {}}],
            "containers": [{"name": "app", "securityContext": {
                "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}]}


def task(network_mode: str = "awsvpc", pid_mode: str | None = None, **container: Any) -> Resource:
    inputs: dict[str, Any] = {"networkMode": network_mode,
                              "containerDefinitions": json.dumps([{**GOOD_CONTAINER, **container}])}
    if pid_mode:
        inputs["pidMode"] = pid_mode
    return res(TASK, **inputs)


def deployment(pod: dict[str, Any]) -> Resource:
    return res("kubernetes:apps/v1:Deployment", spec={"template": {"spec": pod}})


GOOD_SWARM_CONTAINER = {"image": "ghcr.io/acme/api:1.0.0", "user": "10001:10001",
                        "readOnly": True, "capDrops": ["ALL"]}


def swarm_service(logical: str = "api", networks: Any = (), **container: Any) -> Resource:
    """A docker.Service as pulumi-docker records it; `None` leaves a container field out."""
    spec = {key: value for key, value in {**GOOD_SWARM_CONTAINER, **container}.items()
            if value is not None}
    return res("docker:index/service:Service", logical, name=f"shipyard-test-{logical}",
               taskSpec={"containerSpec": spec, "networksAdvanceds": list(networks)})


GOOD_NOMAD_TASK = {"Name": "app", "Driver": "docker", "User": "10001:10001", "Config": {
    "readonly_rootfs": True, "privileged": False, "cap_drop": ["ALL"]}}


def nomad_job(task: dict[str, Any], logical: str = "r") -> Resource:
    return res("nomad:index/job:Job", logical, jobspec=json.dumps({"TaskGroups": [{"Tasks": [task]}]}))


def alb(**inputs: Any) -> Resource:
    good = {"loadBalancerType": "application", "dropInvalidHeaderFields": True,
            "enableDeletionProtection": True, "desyncMitigationMode": "defensive",
            "accessLogs": {"bucket": "logs", "enabled": True}, "subnets": ["subnet-a", "subnet-b"]}
    return res(ALB, **{**good, **inputs})


def fargate_service(version: str) -> Resource:
    return res(SERVICE, platformVersion=version,
               capacityProviderStrategies=[{"capacityProvider": "FARGATE", "weight": 1}])


def _vpc_with(type_: str, **inputs: Any) -> list[Resource]:
    vpc = res(VPC)
    return [vpc, res(type_, depends_on=(vpc,), **inputs)]


_repo = res(REPO, "repo", name="team/api")
_privileged_pod = {**GOOD_POD, "hostNetwork": True,
                   "containers": [{"name": "app", "securityContext": {"privileged": True}}]}

# control id -> (resources that pass, resources that fail)
CASES: dict[str, tuple[list[Resource], list[Resource]]] = {
    "ECR.1": ([res(REPO, imageScanningConfiguration={"scanOnPush": True})],
              [res(REPO, imageScanningConfiguration={"scanOnPush": False})]),
    "ECR.2": ([res(REPO, imageTagMutability="IMMUTABLE")], [res(REPO, imageTagMutability="MUTABLE")]),
    "ECR.3": ([_repo, res("aws:ecr/lifecyclePolicy:LifecyclePolicy", depends_on=(_repo,))],
              [_repo]),
    "ECS.1": ([task()], [task(network_mode="host")]),
    "ECS.2": ([res(SERVICE, networkConfiguration={"assignPublicIp": False})],
              [res(SERVICE, networkConfiguration={"assignPublicIp": True})]),
    "ECS.3": ([task()], [task(pid_mode="host")]),
    "ECS.4": ([task()], [task(privileged=True)]),
    "ECS.5": ([task()], [task(readonlyRootFilesystem=False)]),
    "ECS.8": ([task()], [task(environment=[{"name": "AWS_SECRET_ACCESS_KEY", "value": "x"}])]),
    "ECS.9": ([task()], [task(logConfiguration=None)]),
    "ECS.10": ([fargate_service("LATEST")], [fargate_service("1.3.0")]),
    "ECS.12": ([res("aws:ecs/cluster:Cluster", settings=[{"name": "containerInsights", "value": "enabled"}])],
               [res("aws:ecs/cluster:Cluster", settings=[{"name": "containerInsights", "value": "disabled"}])]),
    "EKS.1": ([res(EKS, endpointPublicAccess=True, endpointPrivateAccess=True,
                   publicAccessCidrs=["203.0.113.0/24"])],
              [res(EKS, endpointPublicAccess=True, endpointPrivateAccess=True,
                   publicAccessCidrs=["0.0.0.0/0"])]),
    "EKS.2": ([res(EKS, version="1.35")], [res(EKS, version="1.20")]),
    "EKS.3": ([res(EKS, encryptionConfigKeyArn="arn:aws:kms:us-east-1:123456789012:key/k")],
              [res(EKS)]),
    "EKS.8": ([res(EKS, enabledClusterLogTypes=["api", "audit"])],
              [res(EKS, enabledClusterLogTypes=["api"])]),
    "ELB.1": ([res(LISTENER, protocol="HTTP", defaultActions=[
                   {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443"}}])],
              [res(LISTENER, protocol="HTTP", defaultActions=[{"type": "fixed-response"}])]),
    "ELB.4": ([alb()], [alb(dropInvalidHeaderFields=False)]),
    "ELB.5": ([alb()], [alb(accessLogs=None)]),
    "ELB.6": ([alb()], [alb(enableDeletionProtection=False)]),
    "ELB.12": ([alb()], [alb(desyncMitigationMode="monitor")]),
    "ELB.13": ([alb()], [alb(subnets=["subnet-a"])]),
    "EC2.2": (_vpc_with("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", ingress=[], egress=[]),
              _vpc_with("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", ingress=[],
                        egress=[{"protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}])),
    "EC2.6": (_vpc_with("aws:ec2/flowLog:FlowLog", trafficType="ALL"), [res(VPC)]),
    "EC2.8": ([res(TEMPLATE, metadataOptions={"httpTokens": "required"})],
              [res(TEMPLATE, metadataOptions={"httpTokens": "optional"})]),
    "EC2.9": ([res("aws:ec2/instance:Instance", associatePublicIpAddress=False)],
              [res("aws:ec2/instance:Instance", associatePublicIpAddress=True)]),
    "EC2.15": ([res("aws:ec2/subnet:Subnet", mapPublicIpOnLaunch=False)],
               [res("aws:ec2/subnet:Subnet", mapPublicIpOnLaunch=True)]),
    "EC2.18": ([res(INGRESS, cidrIpv4="0.0.0.0/0", ipProtocol="tcp", fromPort=443, toPort=443)],
               [res(INGRESS, cidrIpv4="0.0.0.0/0", ipProtocol="tcp", fromPort=8443, toPort=8443)]),
    "EC2.19": ([res(INGRESS, cidrIpv4="0.0.0.0/0", ipProtocol="tcp", fromPort=443, toPort=443)],
               [res("aws:ec2/securityGroup:SecurityGroup", ingress=[
                   {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}])]),
    "EC2.25": ([res(TEMPLATE, networkInterfaces=[{"associatePublicIpAddress": "false"}])],
               [res(TEMPLATE, networkInterfaces=[{"associatePublicIpAddress": "true"}])]),
    "KMS.3": ([res(KEY, protect=True, enableKeyRotation=True)], [res(KEY, enableKeyRotation=True)]),
    "KMS.4": ([res(KEY, enableKeyRotation=True)], [res(KEY, enableKeyRotation=False)]),
    "PSS.restricted": ([deployment(GOOD_POD)], [deployment(_privileged_pod)]),
    "SWARM.1": ([swarm_service(user="10001:10001")],
                [swarm_service("uid0", user="0:0"), swarm_service("named", user="root"),
                 swarm_service("unset", user=None)]),
    "SWARM.2": ([swarm_service()], [swarm_service("writable", readOnly=False),
                                    swarm_service("unset", readOnly=None)]),
    "SWARM.3": ([swarm_service(), swarm_service("binds", capAdds=["NET_BIND_SERVICE"])],
                [swarm_service("keeps", capDrops=None), swarm_service("adds", capAdds=["SYS_ADMIN"])]),
    "SWARM.4": ([swarm_service()], [swarm_service(networks=[{"name": "host"}])]),
    # --- nomad
    "NOMAD.hardened": ([nomad_job(GOOD_NOMAD_TASK)],
                       [nomad_job({**GOOD_NOMAD_TASK, "User": "root"}, "as-root"),
                        nomad_job({**GOOD_NOMAD_TASK, "Config": {"privileged": True}},
                                  "privileged")]),
}
