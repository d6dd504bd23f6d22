"""Rendering an offline plan: a tree of components and resources with their key settings."""

from __future__ import annotations

import json
from typing import Any

from shipyard.engine import Plan, Resource
from shipyard.inputs import lookup, masked

# The inputs worth showing per resource type; others are in `--json`.
KEY_SETTINGS: dict[str, tuple[str, ...]] = {
    "aws:ec2/vpc:Vpc": ("cidrBlock",),
    "aws:ec2/subnet:Subnet": ("availabilityZone", "cidrBlock"),
    "aws:ec2/flowLog:FlowLog": ("trafficType", "logDestinationType"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("serviceName", "vpcEndpointType"),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "retentionInDays"),
    "aws:ecr/repository:Repository": ("name", "imageTagMutability", "imageScanningConfiguration",
                                      "forceDelete", "imageTagMutabilityExclusionFilters"),
    "docker-build:index:Image": ("context", "dockerfile", "target", "platforms", "push"),
    "docker-build:index:Index": ("tag", "push"),
    "aws:ecs/cluster:Cluster": ("name", "settings"),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": (
        "capacityProviders", "defaultCapacityProviderStrategies"),
    "aws:ecs/capacityProvider:CapacityProvider": ("autoScalingGroupProvider",),
    "aws:ecs/taskDefinition:TaskDefinition": ("family", "cpu", "memory", "runtimePlatform"),
    "aws:ecs/service:Service": ("name", "desiredCount", "capacityProviderStrategies",
                                "platformVersion", "serviceConnectConfiguration.services"),
    "aws:servicediscovery/httpNamespace:HttpNamespace": ("name",),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("fromPort", "toPort",
                                                                  "cidrIpv4", "description"),
    "aws:acm/certificate:Certificate": ("domainName", "validationMethod"),
    "aws:route53/record:Record": ("name", "type", "aliases"),
    "aws:lb/listenerCertificate:ListenerCertificate": ("certificateArn",),
    "aws:ec2/launchTemplate:LaunchTemplate": ("instanceType", "metadataOptions"),
    "aws:autoscaling/group:Group": ("minSize", "maxSize", "desiredCapacity"),
    "aws:lb/loadBalancer:LoadBalancer": ("internal", "loadBalancerType"),
    "aws:lb/listener:Listener": ("port", "protocol"),
    "aws:lb/targetGroup:TargetGroup": ("port", "targetType", "healthCheck"),
    "aws:lb/listenerRule:ListenerRule": ("priority", "conditions"),
    "aws:appautoscaling/target:Target": ("minCapacity", "maxCapacity"),
    "aws:appautoscaling/policy:Policy": ("policyType",),
    "aws:kms/key:Key": ("enableKeyRotation", "deletionWindowInDays"),
    "eks:index:Cluster": ("name", "version", "endpointPublicAccess", "authenticationMode"),
    "eks:index:ManagedNodeGroup": ("instanceTypes", "capacityType", "scalingConfig", "version"),
    "aws:eks/accessEntry:AccessEntry": ("type",),
    "aws:eks/fargateProfile:FargateProfile": ("fargateProfileName", "selectors"),
    "aws:eks/addon:Addon": ("addonName", "addonVersion", "configurationValues"),
    "kubernetes:apps/v1:Deployment": ("metadata.namespace", "spec.replicas"),
    "kubernetes:core/v1:Service": ("spec.type", "spec.ports"),
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": ("spec.ingress",),
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": ("spec.minReplicas", "spec.maxReplicas"),
}


def settings_of(resource: Resource) -> dict[str, Any]:
    shown = {}
    for key in KEY_SETTINGS.get(resource.type, ()):
        value = lookup(resource.inputs, key)
        if value is not None:
            shown[key.split(".")[-1]] = masked(value)
    return shown


def _lifecycle_options(resource: Resource) -> dict[str, Any]:
    """The resource options besides `protect` that decide updates and deletes, and where its
    inputs come from (a replaced source changes them), when set."""
    options = {"deleteBeforeReplace": resource.delete_before_replace,
               "retainOnDelete": resource.retain_on_delete,
               "ignoreChanges": list(resource.ignore_changes),
               "inputsFrom": {key: list(urns) for key, urns in resource.input_sources.items()},
               "customTimeouts": dict(resource.custom_timeouts)}
    return {key: value for key, value in options.items() if value}


def to_json(plan: Plan) -> str:
    document = {
        "stack": plan.stack,
        "region": plan.region,
        "resourceCount": len(plan.resources),
        "resources": [{"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent,
                       "protect": r.protect, **_lifecycle_options(r), "inputs": masked(r.inputs)}
                      for r in plan.resources],
        "outputs": masked(plan.outputs),
    }
    return json.dumps(document, indent=2, sort_keys=True)


def to_text(plan: Plan) -> str:
    by_parent: dict[str | None, list[Resource]] = {}
    for resource in plan.resources:
        by_parent.setdefault(resource.parent, []).append(resource)
    lines = [f"Stack {plan.stack}: pulumi up would create"]

    def walk(parent: str | None, indent: str) -> None:
        # Components first, then resources; each group by type and name.
        for resource in sorted(by_parent.get(parent, []),
                               key=lambda r: (r.custom, r.type, r.name)):
            shown = settings_of(resource)
            details = " ".join(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in shown.items())
            flags = " [protected]" if resource.protect else ""
            lines.append(f"{indent}+ {resource.type} {resource.name}{flags}"
                         + (f"  {details}" if details else ""))
            walk(resource.urn, indent + "    ")

    walk(None, "  ")
    components = sum(1 for r in plan.resources if not r.custom)
    lines.append(f"{len(plan.resources)} resources ({components} components, "
                 f"{len(plan.resources) - components} cloud resources)")
    lines.append("Outputs:")
    for name, value in plan.outputs.items():
        lines.append(f"  {name}: {json.dumps(masked(value), sort_keys=True)}")
    return "\n".join(lines)
