"""PublicLoadBalancer: one internet-facing ALB per stack, shared by its public ECS services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.ecs.access_log_bucket import AccessLogBucket, AccessLogBucketArgs
from components.ecs.web_acl import ManagedWebAcl
from shipyard.aws.context import AwsContext
from shipyard.aws.naming import ALB_NAME_MAX, logical
from shipyard.config.schema import Service
from shipyard.platforms.ecs.spec import LoadBalancer as LoadBalancerSettings
from shipyard.services.routing import TLS_POLICY, redirect_priorities, served_over_https


@dataclass(frozen=True)
class PublicLoadBalancerArgs:
    settings: LoadBalancerSettings
    vpc_id: pulumi.Input[str]
    public_subnet_ids: pulumi.Input[list[str]]
    aws_context: AwsContext
    access_logs: bool = False
    # Production: deletion protection on the ALB, and its log bucket protected.
    production: bool = False
    # Service name -> validated ACM certificate of its custom domain (served by SNI).
    domain_certificates: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    # The public services it routes to: which of them HTTP still serves decides its redirects.
    services: tuple[Service, ...] = ()


def _not_found() -> aws.lb.ListenerDefaultActionArgs:
    """What a listener answers a request no rule takes."""
    return aws.lb.ListenerDefaultActionArgs(
        type="fixed-response", fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
            content_type="text/plain", message_body="Not Found", status_code="404"))


class PublicLoadBalancer(pulumi.ComponentResource):
    """Services with a custom domain, or all when a certificate is configured, are served on
    HTTPS (443); the others on plain HTTP (80), on the ALB's own DNS name, which no domain
    certificate covers. HTTP redirects every request to HTTPS when it serves no service, else
    only the requests for a domain's host.
    Requests that match no service get a 404. Optionally behind AWS WAF, with access logs in S3."""

    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]  # the ALB's canonical hosted zone, for alias records
    http_listener_arn: pulumi.Output[str]
    https_listener_arn: Optional[pulumi.Output[str]]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: PublicLoadBalancerArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:loadbalancer:PublicLoadBalancer", name, None, opts)
        settings = args.settings
        # The listener's default certificate is the configured one, else the first domain's; the
        # other domains' certificates are added to the listener, and the ALB picks one per
        # request by SNI.
        domains = sorted(args.domain_certificates)
        default_certificate = settings.certificate_arn or (
            args.domain_certificates[domains[0]] if domains else None)
        sni_only = domains if settings.certificate_arn else domains[1:]
        https = default_certificate is not None
        self._certificate_configured = settings.certificate_arn is not None

        security_group = self._security_group(name, args.vpc_id, https)
        balancer = self._balancer(name, args, security_group)
        self._web_acl(name, settings, balancer)
        https_listener = (self._https_listener(name, args, balancer, default_certificate, sni_only)
                          if https else None)
        http_listener = self._http_listener(name, args, balancer, https)

        self.dns_name = balancer.dns_name
        self.zone_id = balancer.zone_id
        self.http_listener_arn = http_listener.arn
        self.https_listener_arn = https_listener.arn if https_listener else None
        self.security_group_id = security_group.id
        self.register_outputs({"dnsName": self.dns_name, "httpListenerArn": self.http_listener_arn,
                               "httpsListenerArn": self.https_listener_arn})

    def _security_group(self, name: str, vpc_id: pulumi.Input[str],
                        https: bool) -> aws.ec2.SecurityGroup:
        child = pulumi.ResourceOptions(parent=self)
        security_group = aws.ec2.SecurityGroup(
            f"{name}-alb", vpc_id=vpc_id,
            description="Public load balancer: HTTP(S) from the internet", opts=child)
        for port in (80, 443) if https else (80,):
            # Security Hub EC2.18/19: the only 0.0.0.0/0 ingress is the ALB's 80/443.
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-alb-{port}", security_group_id=security_group.id, ip_protocol="tcp",
                from_port=port, to_port=port, cidr_ipv4="0.0.0.0/0",
                description=f"port {port} from the internet", opts=child)
        return security_group

    def _balancer(self, name: str, args: PublicLoadBalancerArgs,
                  security_group: aws.ec2.SecurityGroup) -> aws.lb.LoadBalancer:
        settings = args.settings
        access_logs, depends_on = self._access_logs(name, args)
        return aws.lb.LoadBalancer(
            logical(name, ALB_NAME_MAX),
            internal=False, load_balancer_type="application", ip_address_type="ipv4",
            security_groups=[security_group.id], subnets=args.public_subnet_ids,
            drop_invalid_header_fields=True,          # ELB.4
            desync_mitigation_mode="defensive",       # ELB.12
            enable_deletion_protection=args.production,  # ELB.6
            enable_http2=True, idle_timeout=settings.idle_timeout,
            access_logs=access_logs,
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on))

    def _access_logs(self, name: str, args: PublicLoadBalancerArgs) -> tuple[
            Optional[aws.lb.LoadBalancerAccessLogsArgs], list[pulumi.Resource]]:
        """Where the ALB writes its access logs (ELB.5), and what it waits for: the policy of
        the bucket Shipyard makes when none is configured."""
        settings = args.settings
        if not args.access_logs:
            return None, []
        bucket_name: pulumi.Input[str]
        depends_on: list[pulumi.Resource] = []
        if settings.access_logs_bucket:
            bucket_name = settings.access_logs_bucket
        else:
            bucket = AccessLogBucket(f"{name}-access-logs", AccessLogBucketArgs(
                prefix=name, expire_after_days=settings.access_logs_expire_after_days,
                aws_context=args.aws_context, protect=args.production),
                opts=pulumi.ResourceOptions(parent=self))
            bucket_name, depends_on = bucket.bucket, [bucket.policy]
        return aws.lb.LoadBalancerAccessLogsArgs(bucket=bucket_name, enabled=True,
                                                 prefix=name), depends_on

    def _web_acl(self, name: str, settings: LoadBalancerSettings, balancer: aws.lb.LoadBalancer) -> None:
        child = pulumi.ResourceOptions(parent=self)
        web_acl_arn = (ManagedWebAcl(f"{name}-waf", opts=child).arn if settings.managed_web_acl
                       else settings.web_acl_arn)
        if web_acl_arn:
            # One web ACL per load balancer, and DisassociateWebACL takes only the ALB's ARN: a
            # replacement created first would be removed by its predecessor's delete, leaving the
            # ALB unprotected (pulumi/pulumi-aws#4782). The old association goes first.
            aws.wafv2.WebAclAssociation(
                f"{name}-waf", resource_arn=balancer.arn, web_acl_arn=web_acl_arn,
                opts=pulumi.ResourceOptions.merge(
                    child, pulumi.ResourceOptions(delete_before_replace=True)))

    def _https_listener(self, name: str, args: PublicLoadBalancerArgs,
                        balancer: aws.lb.LoadBalancer, default_certificate: pulumi.Input[str],
                        sni_only: list[str]) -> aws.lb.Listener:
        child = pulumi.ResourceOptions(parent=self)
        listener = aws.lb.Listener(
            f"{name}-https", load_balancer_arn=balancer.arn, port=443, protocol="HTTPS",
            ssl_policy=TLS_POLICY, certificate_arn=default_certificate,
            default_actions=[_not_found()], opts=child)
        for service in sni_only:
            aws.lb.ListenerCertificate(
                f"{name}-{service}-certificate", listener_arn=listener.arn,
                certificate_arn=args.domain_certificates[service], opts=child)
        return listener

    def _http_listener(self, name: str, args: PublicLoadBalancerArgs,
                       balancer: aws.lb.LoadBalancer, https: bool) -> aws.lb.Listener:
        child = pulumi.ResourceOptions(parent=self)
        to_https = dict(protocol="HTTPS", port="443", status_code="HTTP_301")
        plain_http = [s for s in args.services if not self.serves_https(s)]
        if https and not plain_http:
            return aws.lb.Listener(  # ELB.1: plain HTTP only redirects
                f"{name}-http", load_balancer_arn=balancer.arn, port=80, protocol="HTTP",
                default_actions=[aws.lb.ListenerDefaultActionArgs(
                    type="redirect", redirect=aws.lb.ListenerDefaultActionRedirectArgs(**to_https))],
                opts=child)
        listener = aws.lb.Listener(
            f"{name}-http", load_balancer_arn=balancer.arn, port=80, protocol="HTTP",
            default_actions=[_not_found()], opts=child)
        # Named by the domain, like its certificate and records: renaming its service or
        # moving the domain to another one keeps the rule.
        for domain, priority in sorted(redirect_priorities(list(args.services)).items()):
            aws.lb.ListenerRule(
                f"{name}-{domain}-to-https", listener_arn=listener.arn,
                priority=priority,
                conditions=[aws.lb.ListenerRuleConditionArgs(
                    host_header=aws.lb.ListenerRuleConditionHostHeaderArgs(values=[domain]))],
                actions=[aws.lb.ListenerRuleActionArgs(
                    type="redirect", redirect=aws.lb.ListenerRuleActionRedirectArgs(**to_https))],
                opts=child)
        return listener

    def serves_https(self, service: Service) -> bool:
        return served_over_https(service, self._certificate_configured)

    def listener_arn_for(self, service: Service) -> pulumi.Output[str]:
        """The listener a public service's rule goes on (see the class docstring)."""
        return self.https_listener_arn if self.serves_https(service) else self.http_listener_arn
