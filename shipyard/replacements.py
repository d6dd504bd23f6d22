"""Which input changes make `pulumi up` replace a resource instead of updating it.

pulumi-aws is bridged from the Terraform AWS provider, so an input replaces its resource exactly
when the provider's schema marks the attribute `ForceNew` (github.com/hashicorp/
terraform-provider-aws, internal/service/<service>/<resource>.go; read for ECR repositories
(`name`, `encryption_configuration`), EKS clusters (`name`, `role_arn`; `vpc_config.subnet_ids`
updates in place) and EKS node groups, whose update changes only the launch template, versions,
labels, taints, scaling and update config). Only the resource types and inputs Shipyard sets
are listed; "*" means every input (a task definition registers a new revision for any change;
EKS Fargate profiles are immutable). `python -m shipyard diff` marks such changes, and
`tests/test_updates.py` proves an unrelated setting never triggers one.
"""

from __future__ import annotations

EVERY_INPUT = "*"
_NODE_GROUP_FORCE_NEW = ("nodeGroupName", "subnetIds", "instanceTypes", "capacityType", "amiType",
                         "nodeRoleArn")

FORCE_NEW: dict[str, frozenset[str]] = {type_: frozenset(inputs) for type_, inputs in {
    "aws:ecr/repository:Repository": ("name", "encryptionConfigurations"),
    "aws:ec2/vpc:Vpc": ("cidrBlock",),
    "aws:ec2/subnet:Subnet": ("vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId"),
    "aws:ec2/securityGroup:SecurityGroup": ("name", "description", "vpcId"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("vpcId", "serviceName", "vpcEndpointType"),
    "aws:ec2/natGateway:NatGateway": ("allocationId", "subnetId", "connectivityType"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("name",),
    "aws:ec2/flowLog:FlowLog": ("vpcId", "trafficType", "logDestination", "logDestinationType",
                                "iamRoleArn", "maxAggregationInterval"),
    "aws:cloudwatch/logGroup:LogGroup": ("name",),
    "aws:kms/key:Key": ("keyUsage", "customerMasterKeySpec"),
    "aws:kms/alias:Alias": ("name",),
    "aws:iam/role:Role": ("name",),
    "aws:iam/instanceProfile:InstanceProfile": ("name",),
    "aws:iam/rolePolicy:RolePolicy": ("name", "role"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("role", "policyArn"),
    "aws:ecs/cluster:Cluster": ("name",),
    "aws:ecs/service:Service": ("name", "cluster", "launchType"),
    "aws:ecs/taskDefinition:TaskDefinition": (EVERY_INPUT,),
    "aws:ecs/capacityProvider:CapacityProvider": ("name",),
    "aws:autoscaling/group:Group": ("name",),
    "aws:lb/loadBalancer:LoadBalancer": ("name", "internal", "loadBalancerType"),
    "aws:lb/targetGroup:TargetGroup": ("name", "port", "protocol", "protocolVersion",
                                       "targetType", "vpcId", "ipAddressType"),
    "aws:lb/listener:Listener": ("loadBalancerArn",),
    "aws:lb/listenerRule:ListenerRule": ("listenerArn",),
    "aws:appautoscaling/target:Target": ("resourceId", "scalableDimension", "serviceNamespace"),
    "aws:appautoscaling/policy:Policy": ("name", "resourceId", "scalableDimension",
                                         "serviceNamespace"),
    "aws:eks/fargateProfile:FargateProfile": (EVERY_INPUT,),
    "eks:index:Cluster": ("name",),
    "aws:eks/cluster:Cluster": ("name", "roleArn"),
    # pulumi-eks hands these to aws.eks.NodeGroup, whose subnets, instance types, capacity
    # type, AMI type, role and name EKS cannot change in place.
    "eks:index:ManagedNodeGroup": _NODE_GROUP_FORCE_NEW,
    "aws:eks/nodeGroup:NodeGroup": _NODE_GROUP_FORCE_NEW,
}.items()}


def replacing_inputs(resource_type: str, changed_inputs: set[str]) -> set[str]:
    """The changed top-level inputs that force `resource_type` to be replaced."""
    force_new = FORCE_NEW.get(resource_type, frozenset())
    if EVERY_INPUT in force_new:
        return set(changed_inputs)
    return set(changed_inputs) & force_new


def top_level_input(field_path: str) -> str:
    """`.subnetIds[2]` or `.healthCheck.path` (as `shipyard.diff` writes them) -> the input."""
    return field_path.lstrip(".").split(".")[0].split("[")[0]
