"""PublicLoadBalancer: one internet-facing ALB per stack, shared by its public ECS services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.access_log_bucket import AccessLogBucket, AccessLogBucketArgs
from components.web_acl import ManagedWebAcl
from shipyard.aws_context import AwsContext
from shipyard.config.schema import LoadBalancer as LoadBalancerSettings
from shipyard.naming import ALB_NAME_MAX, logical

# TLS 1.3 with TLS 1.2 fallback: AWS's recommended policy for new HTTPS listeners.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


@dataclass(frozen=True)
class PublicLoadBalancerArgs:
    settings: LoadBalancerSettings
    vpc_id: pulumi.Input[str]
    public_subnet_ids: pulumi.Input[list[str]]
    aws_context: AwsContext
    access_logs: bool = False
    # Production: deletion protection on the ALB, and its log bucket protected.
    production: bool = False


class PublicLoadBalancer(pulumi.ComponentResource):
    """HTTPS on 443 with HTTP redirected to it when a certificate is configured; plain HTTP on
    80 otherwise. Requests that match no service get a 404. Optionally behind AWS WAF, with
    access logs in S3."""

    dns_name: pulumi.Output[str]
    scheme: str
    listener_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: PublicLoadBalancerArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:loadbalancer:PublicLoadBalancer", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        https = settings.certificate_arn is not None
        self.scheme = "https" if https else "http"

        security_group = aws.ec2.SecurityGroup(
            f"{name}-alb", vpc_id=args.vpc_id,
            description="Public load balancer: HTTP(S) from the internet", opts=child)
        for port in (80, 443) if https else (80,):
            # Security Hub EC2.18/19: the only 0.0.0.0/0 ingress is the ALB's 80/443.
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-alb-{port}", security_group_id=security_group.id, ip_protocol="tcp",
                from_port=port, to_port=port, cidr_ipv4="0.0.0.0/0",
                description=f"port {port} from the internet", opts=child)

        access_logs, depends_on = None, []
        if args.access_logs:
            bucket_name: pulumi.Input[str]
            if settings.access_logs_bucket:
                bucket_name = settings.access_logs_bucket
            else:
                bucket = AccessLogBucket(f"{name}-access-logs", AccessLogBucketArgs(
                    prefix=name, expire_after_days=settings.access_logs_expire_after_days,
                    aws_context=args.aws_context, protect=args.production), opts=child)
                bucket_name, depends_on = bucket.bucket, [bucket.policy]
            access_logs = aws.lb.LoadBalancerAccessLogsArgs(bucket=bucket_name, enabled=True,
                                                            prefix=name)  # ELB.5

        balancer = aws.lb.LoadBalancer(
            logical(name, ALB_NAME_MAX),
            internal=False, load_balancer_type="application", ip_address_type="ipv4",
            security_groups=[security_group.id], subnets=args.public_subnet_ids,
            drop_invalid_header_fields=True,          # ELB.4
            desync_mitigation_mode="defensive",       # ELB.12
            enable_deletion_protection=args.production,  # ELB.6
            enable_http2=True, idle_timeout=settings.idle_timeout,
            access_logs=access_logs,
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on))

        web_acl_arn = (ManagedWebAcl(f"{name}-waf", opts=child).arn if settings.managed_web_acl
                       else settings.web_acl_arn)
        if web_acl_arn:
            aws.wafv2.WebAclAssociation(f"{name}-waf", resource_arn=balancer.arn,
                                        web_acl_arn=web_acl_arn, opts=child)

        not_found = aws.lb.ListenerDefaultActionArgs(
            type="fixed-response", fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                content_type="text/plain", message_body="Not Found", status_code="404"))
        if https:
            listener = aws.lb.Listener(
                f"{name}-https", load_balancer_arn=balancer.arn, port=443, protocol="HTTPS",
                ssl_policy=TLS_POLICY, certificate_arn=settings.certificate_arn,
                default_actions=[not_found], opts=child)
            aws.lb.Listener(  # ELB.1: plain HTTP only redirects
                f"{name}-http", load_balancer_arn=balancer.arn, port=80, protocol="HTTP",
                default_actions=[aws.lb.ListenerDefaultActionArgs(
                    type="redirect", redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        protocol="HTTPS", port="443", status_code="HTTP_301"))],
                opts=child)
        else:
            listener = aws.lb.Listener(
                f"{name}-http", load_balancer_arn=balancer.arn, port=80, protocol="HTTP",
                default_actions=[not_found], opts=child)

        self.dns_name = balancer.dns_name
        self.listener_arn = listener.arn
        self.security_group_id = security_group.id
        self.register_outputs({"dnsName": self.dns_name, "listenerArn": self.listener_arn})
