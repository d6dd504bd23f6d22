"""`shipyard:ecs`: the ECS cluster, its capacity and its shared load balancer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, Optional

from pydantic import Field

from shipyard.aws import endpoints
from shipyard.config.types import (
    DEFAULT_ACCESS_LOG_EXPIRY_DAYS,
    DEFAULT_ECS_INSTANCE_TYPE,
    DEFAULT_SERVICE_LOG_RETENTION_DAYS,
    AcmCertificateArn,
    Autoscaling,
    InstanceType,
    LogRetentionDays,
    Model,
    PlatformSection,
    WebAclArn,
    problem_check,
    s3_bucket_name_problem,
)

if TYPE_CHECKING:
    from shipyard.config.schema import StackConfig


class Ec2Capacity(Model):
    instance_type: InstanceType = Field(DEFAULT_ECS_INSTANCE_TYPE, description=(
        "Instance type of the ECS container instances (Graviton types get the arm64 AMI)."))
    min_size: int = Field(1, ge=0, le=1000, description="Fewest instances.")
    max_size: int = Field(4, ge=1, le=1000, description="Most instances (managed scaling stays within).")
    disk_size: int = Field(30, ge=30, le=16384, description="Root volume size in GiB (encrypted gp3).")


class LoadBalancer(Model):
    certificate_arn: Optional[AcmCertificateArn] = Field(None, description=(
        "ACM certificate for HTTPS: every public service on 443, HTTP redirected. Without it the "
        "ALB serves plain HTTP on port 80, except services with a `domain` (HTTPS)."))
    access_logs: Optional[bool] = Field(None, description=(
        "Write ALB access logs to S3 (Security Hub ELB.5). Default: on in production stacks (and "
        "whenever `accessLogsBucket` is set), off otherwise."))
    access_logs_bucket: Optional[Annotated[str, problem_check(s3_bucket_name_problem)]] = Field(None, description=(
        "Existing S3 bucket for the access logs (it must grant ELB log delivery). Unset: "
        "Shipyard creates a private, SSE-S3-encrypted bucket with a lifecycle rule."))
    access_logs_expire_after_days: int = Field(DEFAULT_ACCESS_LOG_EXPIRY_DAYS, ge=1, le=3650,
                                               description=(
        "Shipyard's access log bucket: delete log files older than N days."))
    managed_web_acl: bool = Field(False, description=(
        "Protect the ALB with an AWS WAF web ACL Shipyard creates, with AWS managed rule groups "
        "(IP reputation, anonymous IPs, known bad inputs, core rule set)."))
    web_acl_arn: Optional[WebAclArn] = Field(None, description=(
        "Protect the ALB with this existing regional AWS WAF web ACL instead."))
    idle_timeout: int = Field(60, ge=1, le=4000, description="ALB idle timeout in seconds.")

    def writes_access_logs(self, production: bool) -> bool:
        """`accessLogs`, or its default: on in production and whenever a bucket is given."""
        if self.access_logs is None:
            return production or self.access_logs_bucket is not None
        return self.access_logs


class Ecs(PlatformSection):
    enabled: bool = Field(False, description="Create an ECS cluster and run services on it.")
    capacity: Literal["fargate", "fargateSpot", "ec2"] = Field("fargate", description=(
        "`fargate` (serverless), `fargateSpot` (serverless, up to 70% cheaper, tasks may be "
        "interrupted) or `ec2` (instances Shipyard manages)."))
    on_demand_base: int = Field(0, ge=0, le=100000, description=(
        "fargateSpot: tasks per service always kept on regular Fargate before the rest go to Spot."))
    ec2: Ec2Capacity = Field(Ec2Capacity(), description="EC2 capacity settings (capacity `ec2`).")
    container_insights: bool = Field(True, description="CloudWatch Container Insights (ECS.12).")
    autoscaling: Autoscaling = Field(Autoscaling(), description="Service autoscaling on ECS.")
    log_retention_days: LogRetentionDays = Field(DEFAULT_SERVICE_LOG_RETENTION_DAYS, description=(
        "Retention of each service's log group."))
    enable_exec: bool = Field(False, description="Allow `aws ecs execute-command` into tasks.")
    load_balancer: LoadBalancer = Field(LoadBalancer(), description="The shared public ALB.")



    def plan_notes(self, config: StackConfig) -> list[str]:
        from shipyard.platforms.ecs.task import (
            resized_tasks,  # it reads the whole schema
        )
        resized = resized_tasks(config)
        if not resized:
            return []
        return ["Right-sized ECS tasks (each gets the smallest valid Fargate size that holds its "
                "spec; ECS rejects any other CPU/memory pair on Fargate):",
                *(f"  {r.explain()}" for r in resized)]

    def interface_endpoints(self, config: StackConfig) -> tuple[str, ...]:
        """Tasks pull from ECR, log to CloudWatch and read their secrets; EC2 capacity's agents
        and ECS Exec need their own (shipyard/aws/endpoints.py says why each)."""
        needed = [*endpoints.ECR, "logs", *endpoints.secret_services(config.services_on("ecs"))]
        if self.capacity == "ec2":
            needed += [*endpoints.ECS_CONTAINER_INSTANCE, *endpoints.SSM_AGENT]
        if self.enable_exec:
            needed += endpoints.ECS_EXEC
        return tuple(needed)

Section = Ecs
