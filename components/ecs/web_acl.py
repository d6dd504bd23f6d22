"""ManagedWebAcl: an AWS WAF web ACL for the public load balancer, built from AWS managed rule
groups."""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_aws as aws

# AWS managed rule groups (AWS WAF Developer Guide, "AWS Managed Rules rule groups list"), in
# evaluation order, each with the rules it only counts: requests from known-malicious IPs, then
# from anonymizers (Tor, VPN exits; requests from cloud hosting providers are only counted, as
# webhooks and partner integrations come from there), then known exploit patterns (Log4Shell,
# Spring4Shell...), then the OWASP-style core rule set. 25 + 50 + 200 + 700 = 975 WCUs, within the
# web ACL's 1,500 included.
MANAGED_RULE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AWSManagedRulesAmazonIpReputationList", ()),
    ("AWSManagedRulesAnonymousIpList", ("HostingProviderIPList",)),
    ("AWSManagedRulesKnownBadInputsRuleSet", ()),
    ("AWSManagedRulesCommonRuleSet", ()),
)


class ManagedWebAcl(pulumi.ComponentResource):
    """Allows by default; each managed rule group blocks what it matches. CloudWatch metrics and
    sampled requests are on, per rule, to tune false positives."""

    arn: pulumi.Output[str]

    def __init__(self, name: str, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:loadbalancer:ManagedWebAcl", name, None, opts)
        acl = aws.wafv2.WebAcl(
            name, scope="REGIONAL", description="Shipyard public load balancer",
            default_action=aws.wafv2.WebAclDefaultActionArgs(
                allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=[aws.wafv2.WebAclRuleArgs(
                name=group, priority=priority,
                override_action=aws.wafv2.WebAclRuleOverrideActionArgs(
                    none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    managed_rule_group_statement=aws.wafv2.
                    WebAclRuleStatementManagedRuleGroupStatementArgs(
                        name=group, vendor_name="AWS",
                        rule_action_overrides=[_count(rule) for rule in counted] or None)),
                visibility_config=aws.wafv2.WebAclRuleVisibilityConfigArgs(
                    cloudwatch_metrics_enabled=True, metric_name=group,
                    sampled_requests_enabled=True))
                for priority, (group, counted) in enumerate(MANAGED_RULE_GROUPS)],
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True),
            opts=pulumi.ResourceOptions(parent=self))
        self.arn = acl.arn
        self.register_outputs({"arn": self.arn})


def _count(rule: str) -> aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs:
    """Override a managed rule to count matches (visible in metrics) instead of blocking."""
    return aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs(
        name=rule, action_to_use=aws.wafv2.
        WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs(
            count=aws.wafv2.
            WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseCountArgs()))
