"""EcsService: one cloud-neutral service on ECS — task, IAM, logs, security group, load balancer
route and autoscaling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumi_aws as aws

from components.custom_domain import CustomDomain
from components.ecs.cluster import EcsCluster
from components.ecs.load_balancer import PublicLoadBalancer
from components.network import Egress, allow_egress
from shipyard.aws import iam
from shipyard.aws.context import AwsContext
from shipyard.aws.naming import ALB_NAME_MAX, IAM_ROLE_NAME_MAX, logical
from shipyard.config.schema import Service
from shipyard.config.types import Autoscaling
from shipyard.platforms.ecs.spec import Ecs
from shipyard.platforms.ecs.task import (
    SCRATCH_VOLUME,
    container_definitions_json,
    log_group_name,
    service_connect_configuration,
    task_size,
)
from shipyard.services.routing import public_url, route_host
from shipyard.services.scaling import replica_bounds

SCALE_IN_COOLDOWN_SECONDS = 300
SCALE_OUT_COOLDOWN_SECONDS = 60


def _deployment() -> dict[str, Any]:
    """Rolling deployments that roll back on their own and rebalance across zones."""
    return dict(
        deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
            enable=True, rollback=True),
        deployment_minimum_healthy_percent=100, deployment_maximum_percent=200,
        deployment_controller=aws.ecs.ServiceDeploymentControllerArgs(type="ECS"),
        availability_zone_rebalancing="ENABLED")


def _ec2_placement() -> list[aws.ecs.ServiceOrderedPlacementStrategyArgs]:
    """EC2 tasks spread over zones, then pack instances by memory."""
    return [aws.ecs.ServiceOrderedPlacementStrategyArgs(
                type="spread", field="attribute:ecs.availability-zone"),
            aws.ecs.ServiceOrderedPlacementStrategyArgs(type="binpack", field="memory")]


@dataclass(frozen=True)
class EcsServiceArgs:
    service: Service
    image: pulumi.Input[str]
    # The task's runtimePlatform.cpuArchitecture (X86_64 or ARM64): one the image has and the
    # capacity runs (shipyard.platforms.ecs.capacity.cpu_architecture).
    cpu_architecture: str
    aws_context: AwsContext
    cluster: EcsCluster
    settings: Ecs
    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[list[str]]
    load_balancer: Optional[PublicLoadBalancer] = None
    rule_priority: Optional[int] = None
    # The services this one calls (already created: a Service Connect client resolves only
    # endpoints that existed when its tasks started).
    callees: tuple["EcsService", ...] = ()
    # Another service calls this one: publish a Service Connect endpoint.
    endpoint: bool = False
    domain: Optional[CustomDomain] = None
    egress: Egress = Egress()
    log_key_arn: Optional[pulumi.Input[str]] = None   # KMS key of the log group
    # Production: the log group is protected, so removing or renaming the service stops
    # `pulumi up` until someone decides about its logs (docs/lifecycle.md: Nothing lost).
    protect_logs: bool = False


class EcsService(pulumi.ComponentResource):
    service_name: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    url: Optional[pulumi.Output[str]]
    physical_name: str
    port: int
    security_group_id: pulumi.Output[str]
    ecs_service: aws.ecs.Service

    def __init__(self, name: str, args: EcsServiceArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:ecs:EcsService", name, None, opts)
        service, settings, cluster = args.service, args.settings, args.cluster
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=log_group_name(cluster.physical_name, service.name),
            retention_in_days=settings.log_retention_days, kms_key_id=args.log_key_arn,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect_logs))
        execution_role, task_role, role_policies = self._roles(
            name, service, settings.enable_exec, args.aws_context.account_id)
        service_connect = bool(args.callees) or args.endpoint
        task = self._task_definition(name, args, log_group, execution_role, task_role,
                                     service_connect)
        security_group = self._security_group(name, args)
        # Tasks start only once their execution role may pull, log and read their secrets (IAM
        # attachments are separate resources the task definition does not reference).
        depends_on = [cluster.capacity_ready, *role_policies,
                      *(c.ecs_service for c in args.callees)]
        load_balancers = self._expose(name, args, security_group, depends_on)
        ecs_service = self._ecs_service(name, args, task, security_group, load_balancers,
                                        service_connect, log_group, depends_on)
        if settings.autoscaling.enabled:
            self._autoscaling(name, service, settings.autoscaling, cluster.physical_name,
                              ecs_service)
        self.service_name = ecs_service.name
        self.log_group_name = log_group.name
        self.physical_name, self.port = service.name, service.port
        self.security_group_id = security_group.id
        self.ecs_service = ecs_service
        self.register_outputs({"serviceName": self.service_name, "logGroup": self.log_group_name,
                               "url": self.url})

    def _task_definition(self, name: str, args: EcsServiceArgs, log_group: aws.cloudwatch.LogGroup,
                         execution_role: aws.iam.Role, task_role: aws.iam.Role,
                         service_connect: bool) -> aws.ecs.TaskDefinition:
        service, settings, cluster = args.service, args.settings, args.cluster
        size = task_size(service, proxied=service_connect)
        region = args.aws_context.region
        return aws.ecs.TaskDefinition(
            name, family=f"{cluster.physical_name}-{service.name}",
            cpu=str(size.cpu), memory=str(size.memory), network_mode="awsvpc",
            requires_compatibilities=["FARGATE" if settings.capacity != "ec2" else "EC2"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX",
                cpu_architecture=args.cpu_architecture),
            execution_role_arn=execution_role.arn, task_role_arn=task_role.arn,
            volumes=[aws.ecs.TaskDefinitionVolumeArgs(name=SCRATCH_VOLUME)],
            container_definitions=pulumi.Output.all(args.image, log_group.name).apply(
                lambda values: container_definitions_json(
                    service, values[0], values[1], region, settings.enable_exec, args.endpoint)),
            opts=pulumi.ResourceOptions(parent=self))

    def _security_group(self, name: str, args: EcsServiceArgs) -> aws.ec2.SecurityGroup:
        """The tasks' group, with their egress, and their way into each service they call."""
        service, child = args.service, pulumi.ResourceOptions(parent=self)
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=args.vpc_id,
            description=f"ECS service {service.name}: traffic from its load balancer only",
            opts=child)
        allow_egress(f"{name}-egress", security_group.id, args.egress,
                     "image pulls, AWS APIs and dependencies", child)
        for callee in args.callees:
            # The callee admits this service's tasks, on its port (where its Service Connect
            # proxy listens); nothing else inside the VPC gets in.
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-calls-{callee.physical_name}", security_group_id=callee.security_group_id,
                ip_protocol="tcp", from_port=callee.port, to_port=callee.port,
                referenced_security_group_id=security_group.id,
                description=f"from service {service.name}, which calls it", opts=child)
        return security_group

    def _expose(self, name: str, args: EcsServiceArgs, security_group: aws.ec2.SecurityGroup,
                depends_on: list[pulumi.Resource]) -> list[aws.ecs.ServiceLoadBalancerArgs]:
        """A public service's route through the load balancer (and its domain), which the ECS
        service waits for; sets `self.url`."""
        self.url = None
        service = args.service
        if not (service.public and args.load_balancer is not None):
            return []
        target_group, rule = self._route(name, service, args, security_group)
        depends_on.append(rule)
        balancer = args.load_balancer
        scheme = "https" if balancer.serves_https(service) else "http"
        self.url = balancer.dns_name.apply(lambda dns: public_url(scheme, dns, service))
        if args.domain:
            args.domain.point_at(balancer.dns_name, balancer.zone_id)
        return [aws.ecs.ServiceLoadBalancerArgs(
            target_group_arn=target_group.arn, container_name=service.name,
            container_port=service.port)]

    def _ecs_service(self, name: str, args: EcsServiceArgs, task: aws.ecs.TaskDefinition,
                     security_group: aws.ec2.SecurityGroup,
                     load_balancers: list[aws.ecs.ServiceLoadBalancerArgs], service_connect: bool,
                     log_group: aws.cloudwatch.LogGroup,
                     depends_on: list[pulumi.Resource]) -> aws.ecs.Service:
        service, settings, cluster = args.service, args.settings, args.cluster
        fargate = settings.capacity != "ec2"
        return aws.ecs.Service(
            name, name=service.name, cluster=cluster.cluster_arn, task_definition=task.arn,
            desired_count=service.replicas,
            capacity_provider_strategies=[aws.ecs.ServiceCapacityProviderStrategyArgs(
                capacity_provider=s["capacityProvider"], weight=s["weight"], base=s["base"])
                for s in cluster.capacity_strategy],
            platform_version="LATEST" if fargate else None,  # ECS.10
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=args.private_subnet_ids, security_groups=[security_group.id],
                assign_public_ip=False),  # ECS.2
            **_deployment(),
            ordered_placement_strategies=None if fargate else _ec2_placement(),
            load_balancers=load_balancers,
            service_connect_configuration=_service_connect_args(service_connect_configuration(
                service, cluster.namespace_arn, args.endpoint, log_group.name,
                args.aws_context.region))
            if service_connect else None,
            health_check_grace_period_seconds=60 if load_balancers else None,
            enable_execute_command=settings.enable_exec,
            enable_ecs_managed_tags=True, propagate_tags="SERVICE",
            wait_for_steady_state=True,
            # A changed capacity provider strategy is rejected unless the update also starts a
            # new deployment (pulumi_aws.ecs.Service docstring: "Updating this argument requires
            # `force_new_deployment = true`"; terraform-provider-aws internal/service/ecs/
            # service.go, capacityProviderStrategyCustomizeDiff). The provider sends it only with
            # an update, so an unchanged service is not redeployed.
            force_new_deployment=True,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=depends_on,
                # ECS names are unique per cluster: the old service must go before its
                # replacement. Autoscaling owns the running count once the service exists.
                delete_before_replace=True,
                ignore_changes=["desiredCount"] if settings.autoscaling.enabled else None))

    def _roles(self, name: str, service: Service, exec_enabled: bool,
               account_id: str) -> tuple[aws.iam.Role, aws.iam.Role, list[pulumi.Resource]]:
        """The execution and task roles, and the execution role's policies."""
        child = pulumi.ResourceOptions(parent=self)
        trust = iam.to_json(iam.assume_role("ecs-tasks.amazonaws.com", account_id))
        execution = aws.iam.Role(logical(f"{name}-execution", IAM_ROLE_NAME_MAX),
                                 assume_role_policy=trust,
                                 description=f"ECS agent for {service.name}: pull, log, read its secrets",
                                 opts=child)
        execution_policies: list[pulumi.Resource] = [aws.iam.RolePolicyAttachment(
            logical(f"{name}-execution", IAM_ROLE_NAME_MAX), role=execution.name,
            policy_arn=aws.iam.ManagedPolicy.AMAZON_ECS_TASK_EXECUTION_ROLE_POLICY, opts=child)]
        if service.secrets:
            execution_policies.append(aws.iam.RolePolicy(
                logical(f"{name}-secrets", IAM_ROLE_NAME_MAX), role=execution.id,
                policy=iam.to_json(iam.read_secrets(service.secrets.values())), opts=child))
        # The application's own identity: no permissions unless the team grants them.
        task = aws.iam.Role(logical(f"{name}-task", IAM_ROLE_NAME_MAX), assume_role_policy=trust,
                            description=f"Application role of {service.name}", opts=child)
        if exec_enabled:
            aws.iam.RolePolicy(logical(f"{name}-exec", IAM_ROLE_NAME_MAX), role=task.id,
                               policy=iam.to_json(iam.ecs_exec()), opts=child)
        return execution, task, execution_policies

    def _route(self, name: str, service: Service, args: EcsServiceArgs,
               security_group: aws.ec2.SecurityGroup) -> tuple[aws.lb.TargetGroup, aws.lb.ListenerRule]:
        child = pulumi.ResourceOptions(parent=self)
        balancer = args.load_balancer
        # Only the load balancer reaches the service, and only on its port.
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-alb", security_group_id=security_group.id, ip_protocol="tcp",
            from_port=service.port, to_port=service.port,
            referenced_security_group_id=balancer.security_group_id,
            description="from the public load balancer", opts=child)
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-alb-to-service", security_group_id=balancer.security_group_id,
            ip_protocol="tcp", from_port=service.port, to_port=service.port,
            referenced_security_group_id=security_group.id,
            description=f"to service {service.name}", opts=child)
        target_group = aws.lb.TargetGroup(
            logical(f"{name}-tg", ALB_NAME_MAX), port=service.port, protocol="HTTP",
            protocol_version="HTTP1", target_type="ip", vpc_id=args.vpc_id, ip_address_type="ipv4",
            deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True, path=service.health_check_path, protocol="HTTP",
                port="traffic-port", matcher="200-399", interval=15, timeout=5,
                healthy_threshold=2, unhealthy_threshold=3),
            opts=child)
        conditions = [aws.lb.ListenerRuleConditionArgs(
            path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=[service.path]))]
        host = route_host(service)
        if host:
            conditions.append(aws.lb.ListenerRuleConditionArgs(
                host_header=aws.lb.ListenerRuleConditionHostHeaderArgs(values=[host])))
        rule = aws.lb.ListenerRule(
            f"{name}-route", listener_arn=balancer.listener_arn_for(service), priority=args.rule_priority,
            actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=target_group.arn)],
            conditions=conditions, opts=child)
        return target_group, rule

    def _autoscaling(self, name: str, service: Service, scaling: Autoscaling, cluster_name: str,
                     ecs_service: aws.ecs.Service) -> None:
        child = pulumi.ResourceOptions(parent=self)
        bounds = replica_bounds(service, scaling)
        target = aws.appautoscaling.Target(
            f"{name}-scaling", service_namespace="ecs", scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{cluster_name}/{service.name}",
            min_capacity=bounds.min, max_capacity=bounds.max,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ecs_service]))
        metrics = [("cpu", "ECSServiceAverageCPUUtilization", scaling.target_cpu_percent)]
        if scaling.target_memory_percent is not None:
            metrics.append(("memory", "ECSServiceAverageMemoryUtilization",
                            scaling.target_memory_percent))
        for suffix, metric, target_value in metrics:
            aws.appautoscaling.Policy(
                f"{name}-{suffix}", policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension, resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=(
                    aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                        target_value=target_value,
                        predefined_metric_specification=aws.appautoscaling.
                        PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                            predefined_metric_type=metric),
                        scale_in_cooldown=SCALE_IN_COOLDOWN_SECONDS,
                        scale_out_cooldown=SCALE_OUT_COOLDOWN_SECONDS,
                        disable_scale_in=False)),
                opts=child)


def _service_connect_args(configuration: dict) -> aws.ecs.ServiceServiceConnectConfigurationArgs:
    """The ECS API's serviceConnectConfiguration (see shipyard.platforms.ecs.task) as pulumi-aws args."""
    log = configuration["logConfiguration"]
    return aws.ecs.ServiceServiceConnectConfigurationArgs(
        enabled=configuration["enabled"], namespace=configuration["namespace"],
        log_configuration=aws.ecs.ServiceServiceConnectConfigurationLogConfigurationArgs(
            log_driver=log["logDriver"], options=log["options"]),
        services=[aws.ecs.ServiceServiceConnectConfigurationServiceArgs(
            port_name=s["portName"], discovery_name=s["discoveryName"],
            client_alias=[aws.ecs.ServiceServiceConnectConfigurationServiceClientAliasArgs(
                port=alias["port"], dns_name=alias["dnsName"]) for alias in s["clientAliases"]])
            for s in configuration.get("services", [])] or None)
