"""CustomDomain: a public service's own name — an ACM certificate for it, validated by DNS in the
stack's Route 53 hosted zone — and the alias record that points the name at a load balancer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

VALIDATION_RECORD_TTL = 300


def hosted_zone_id(zone: str) -> pulumi.Output[str]:
    """The id of the existing public hosted zone `zone` (looked up, never created)."""
    return aws.route53.get_zone_output(name=zone, private_zone=False).zone_id


@dataclass(frozen=True)
class CustomDomainArgs:
    domain: str
    zone_id: pulumi.Input[str]


class CustomDomain(pulumi.ComponentResource):
    domain: str
    zone_id: pulumi.Input[str]
    # The certificate once ACM has issued it: listeners that use it wait for validation.
    certificate_arn: pulumi.Output[str]

    def __init__(self, name: str, args: CustomDomainArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:dns:CustomDomain", name, None, opts)
        self._name = name
        child = pulumi.ResourceOptions(parent=self)
        self.domain, self.zone_id = args.domain, args.zone_id
        # ACM public certificates are free; DNS validation renews them automatically for as
        # long as the validation record stays in the zone.
        certificate = aws.acm.Certificate(
            name, domain_name=args.domain, validation_method="DNS", opts=child)
        # One domain, no alternative names: exactly one validation record.
        option = certificate.domain_validation_options.apply(lambda options: options[0])
        record = aws.route53.Record(
            f"{name}-validation", zone_id=args.zone_id,
            name=option.apply(lambda o: o.resource_record_name),
            type=option.apply(lambda o: o.resource_record_type),
            records=[option.apply(lambda o: o.resource_record_value)],
            ttl=VALIDATION_RECORD_TTL,
            # ACM derives the record from the domain and the account, so a certificate that
            # replaces this one (or an earlier one for the same name) needs the same record.
            allow_overwrite=True, opts=child)
        validation = aws.acm.CertificateValidation(
            f"{name}-validation", certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn], opts=child)
        self.certificate_arn = validation.certificate_arn
        self.register_outputs({"domain": self.domain, "certificateArn": self.certificate_arn})

    def point_at(self, dns_name: pulumi.Input[str],
                 target_zone_id: pulumi.Input[str]) -> aws.route53.Record:
        """An alias A record for the domain to a load balancer (works at the zone apex, unlike a
        CNAME, and Route 53 answers alias queries to ELB for free). It belongs to the domain, not
        to the service: a renamed service, or the domain moving to another one, updates this
        record instead of creating a second record of the same name next to it (refused)."""
        return aws.route53.Record(
            f"{self._name}-alias", zone_id=self.zone_id, name=self.domain, type="A",
            aliases=[aws.route53.RecordAliasArgs(name=dns_name, zone_id=target_zone_id,
                                                 evaluate_target_health=True)],
            opts=pulumi.ResourceOptions(parent=self))
