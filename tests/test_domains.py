"""Custom domains with TLS: GIVEN a Route 53 zone and a public service's `domain` WHEN it runs on
ECS or EKS THEN ACM issues a DNS-validated certificate, the load balancer serves it, and the
domain points at the load balancer."""

from __future__ import annotations

import pytest

from shipyard.config.schema import Service
from shipyard.review.engine import Plan
from shipyard.review.mocks import ALB_ZONE_ID, NLB_ZONE_ID
from shipyard.services.routing import in_zone, public_url, route_host
from tests.aws_shapes import problems
from tests.conftest import run_shipyard
from tests.test_kubernetes import objects

ZONE = "example.com"
WEB = {"name": "web", "image": "ghcr.io/acme/web:1.0.0", "port": 3000, "public": True,
       "domain": "www.example.com"}
SHOP = {"name": "shop", "image": "ghcr.io/acme/shop:1.0.0", "public": True,
        "domain": "shop.example.com"}
EKS = {"enabled": True, "publicAccessCidrs": ["203.0.113.0/24"], "nodeGroups": [{"name": "general"}]}
CERTIFICATE = "aws:acm/certificate:Certificate"
RECORD = "aws:route53/record:Record"
LISTENER = "aws:lb/listener:Listener"
LISTENER_CERTIFICATE = "aws:lb/listenerCertificate:ListenerCertificate"
RULE = "aws:lb/listenerRule:ListenerRule"
# A public service without a domain, beside WEB on the same ALB.
API = {"name": "api", "image": "ghcr.io/acme/api:1.0.0", "public": True, "path": "/api/*"}
OWN_CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/own"


def on_ecs(*services, **load_balancer) -> Plan:
    return run_shipyard({"ecs": {"enabled": True, "loadBalancer": load_balancer},
                         "dns": {"zone": ZONE}, "services": list(services)})


@pytest.fixture(scope="module")
def ecs() -> Plan:
    return on_ecs(WEB)


@pytest.fixture(scope="module")
def eks() -> Plan:
    return run_shipyard({"eks": EKS, "dns": {"zone": ZONE}, "services": [WEB]})


def _listeners(plan: Plan) -> dict[int, dict]:
    return {l.inputs["port"]: l.inputs for l in plan.of_type(LISTENER)}


def _record(plan: Plan, type_: str) -> dict:
    [record] = [r.inputs for r in plan.of_type(RECORD) if r.inputs["type"] == type_]
    return record


# --- names (pure) -------------------------------------------------------------------------

def test_a_domain_is_in_a_zone_only_at_a_label_boundary():
    assert in_zone("www.example.com", "example.com")
    assert in_zone("example.com", "example.com")  # the apex: an alias record works there
    assert not in_zone("badexample.com", "example.com")
    assert not in_zone("example.com", "www.example.com")


def test_the_domain_is_the_routed_host_and_the_https_url():
    service = Service.model_validate(WEB)
    assert route_host(service) == "www.example.com"
    assert public_url("http", "alb.example.invalid", service) == "https://www.example.com"


# --- the certificate ----------------------------------------------------------------------

@pytest.mark.parametrize("platform", ["ecs", "eks"])
def test_acm_certificate_for_the_domain_validated_by_dns(platform, ecs, eks):
    plan = {"ecs": ecs, "eks": eks}[platform]
    certificate = plan.one(CERTIFICATE)
    assert certificate.inputs["domainName"] == "www.example.com"
    assert certificate.inputs["validationMethod"] == "DNS"
    assert problems("acm", "RequestCertificate", {
        "DomainName": certificate.inputs["domainName"],
        "ValidationMethod": certificate.inputs["validationMethod"]}) == []


def test_validation_record_goes_in_the_looked_up_zone(ecs):
    validation = _record(ecs, "CNAME")
    assert validation["zoneId"].startswith("Z")  # from aws.route53.get_zone (mocked)
    assert validation["name"].endswith(".www.example.com.")
    assert validation["records"][0].endswith(".acm-validations.aws.")
    assert validation["allowOverwrite"] is True
    assert problems("route53", "ChangeResourceRecordSets", {
        "HostedZoneId": validation["zoneId"], "ChangeBatch": {"Changes": [{
            "Action": "UPSERT", "ResourceRecordSet": {
                "Name": validation["name"], "Type": validation["type"], "TTL": validation["ttl"],
                "ResourceRecords": [{"Value": v} for v in validation["records"]]}}]}}) == []


def test_listeners_wait_for_the_issued_certificate(ecs):
    validation = ecs.one("aws:acm/certificateValidation:CertificateValidation").inputs
    assert validation["validationRecordFqdns"] == [_record(ecs, "CNAME")["name"].rstrip(".")]
    https = ecs.one(LISTENER, "shipyard-test-https")
    assert https.inputs["certificateArn"] == validation["certificateArn"]
    assert any("CertificateValidation" in urn for urn in https.depends_on)


def test_the_route53_validator_rejects_what_route53_would():
    bad = {"HostedZoneId": "Z1", "ChangeBatch": {"Changes": [{"Action": "MERGE",
           "ResourceRecordSet": {"Name": "x" * 1100, "Type": "CNAME"}}]}}
    assert len(problems("route53", "ChangeResourceRecordSets", bad)) >= 2


# --- ECS: the shared ALB ------------------------------------------------------------------

def test_alias_record_points_the_domain_at_the_alb(ecs):
    alias = _record(ecs, "A")
    assert alias["name"] == "www.example.com"
    assert alias["zoneId"] == _record(ecs, "CNAME")["zoneId"]
    [target] = alias["aliases"]
    assert target["zoneId"] == ALB_ZONE_ID and target["evaluateTargetHealth"] is True
    assert target["name"].startswith("shipyard-test-") and target["name"].endswith(".elb.amazonaws.com")
    assert problems("route53", "ChangeResourceRecordSets", {
        "HostedZoneId": alias["zoneId"], "ChangeBatch": {"Changes": [{
            "Action": "CREATE", "ResourceRecordSet": {
                "Name": alias["name"], "Type": "A", "AliasTarget": {
                    "HostedZoneId": target["zoneId"], "DNSName": target["name"],
                    "EvaluateTargetHealth": True}}}]}}) == []


def test_https_without_a_configured_certificate_and_http_redirected(ecs):
    # Every public service has a domain: HTTP serves nothing, so it redirects every request.
    listeners = _listeners(ecs)
    assert listeners[443]["protocol"] == "HTTPS"
    assert listeners[443]["sslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    assert listeners[80]["defaultActions"][0]["type"] == "redirect"
    assert listeners[80]["defaultActions"][0]["redirect"]["protocol"] == "HTTPS"
    assert ecs.of_type(RULE) == [ecs.one(RULE, "web-route")]
    ports = {r.inputs["fromPort"] for r in ecs.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if r.inputs.get("cidrIpv4") == "0.0.0.0/0"}
    assert ports == {80, 443}


def _listener_of(plan: Plan, rule: str) -> int:
    arn = plan.one(RULE, rule).inputs["listenerArn"]
    [port] = [l.inputs["port"] for l in plan.of_type(LISTENER)
              if f"/{l.name}-" in arn]  # mock ARNs carry the listener's name
    return port


@pytest.fixture(scope="module")
def mixed() -> Plan:
    return on_ecs(WEB, API)


def test_a_domain_leaves_the_other_services_on_http(mixed):
    # The HTTPS listener's certificates cover only the domains, not the ALB's own DNS name:
    # a service without a domain stays on HTTP, where it was before a domain existed.
    assert _listener_of(mixed, "api-route") == 80
    assert _listener_of(mixed, "web-route") == 443
    assert mixed.outputs["ecsUrls"]["api"].startswith("http://shipyard-test-")
    assert mixed.outputs["ecsUrls"]["web"] == "https://www.example.com"


def test_http_redirects_only_the_domains_hosts(mixed):
    http = _listeners(mixed)[80]
    assert http["defaultActions"][0]["fixedResponse"]["statusCode"] == "404"
    [redirect] = [r for r in mixed.of_type(RULE) if r.inputs["actions"][0]["type"] == "redirect"]
    assert redirect.name == "shipyard-test-www.example.com-to-https"  # named by the domain
    assert _listener_of(mixed, redirect.name) == 80
    assert redirect.inputs["conditions"] == [{"hostHeader": {"values": ["www.example.com"]}}]
    assert redirect.inputs["actions"][0]["redirect"] == {
        "protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}
    on_http = [r.inputs["priority"] for r in mixed.of_type(RULE)
               if _listener_of(mixed, r.name) == 80]
    assert len(set(on_http)) == len(on_http) == 2
    # Before the services without a host, so http://www.example.com/api/ redirects too.
    assert redirect.inputs["priority"] < mixed.one(RULE, "api-route").inputs["priority"]


def test_adding_a_domain_moves_only_its_own_rule(mixed):
    before = on_ecs({**WEB, "domain": None, "host": "www.example.com"}, API)
    assert before.one(RULE, "api-route") == mixed.one(RULE, "api-route")  # same URN, same inputs
    assert _listener_of(before, "web-route") == 80 and _listener_of(mixed, "web-route") == 443
    # The redirect never takes the number the domain's service rule still holds on HTTP while
    # its replacement is created on HTTPS.
    assert mixed.one(RULE, "shipyard-test-www.example.com-to-https").inputs["priority"] not in {
        r.inputs["priority"] for r in before.of_type(RULE)}


def test_with_a_configured_certificate_every_service_is_on_https_and_http_redirects():
    plan = on_ecs(WEB, API, certificateArn=OWN_CERTIFICATE)
    assert _listener_of(plan, "api-route") == _listener_of(plan, "web-route") == 443
    assert _listeners(plan)[80]["defaultActions"][0]["type"] == "redirect"
    assert sorted(r.name for r in plan.of_type(RULE)) == ["api-route", "web-route"]
    assert plan.outputs["ecsUrls"]["api"].startswith("https://")


def test_the_listener_rule_matches_the_domain(ecs):
    conditions = ecs.one("aws:lb/listenerRule:ListenerRule", "web-route").inputs["conditions"]
    assert {"hostHeader": {"values": ["www.example.com"]}} in conditions
    assert ecs.outputs["ecsUrls"]["web"] == "https://www.example.com"


def test_one_domain_is_the_default_certificate_and_needs_no_extra_one(ecs):
    assert ecs.of_type(LISTENER_CERTIFICATE) == []


def test_several_domains_are_served_by_sni():
    plan = on_ecs(WEB, SHOP)
    certificates = {c.inputs["domainName"] for c in plan.of_type(CERTIFICATE)}
    assert certificates == {"www.example.com", "shop.example.com"}
    default = _listeners(plan)[443]["certificateArn"]
    [extra] = plan.of_type(LISTENER_CERTIFICATE)
    assert {default, extra.inputs["certificateArn"]} == {
        v.inputs["certificateArn"] for v in plan.of_type("aws:acm/certificateValidation:CertificateValidation")}
    assert problems("elbv2", "AddListenerCertificates", {
        "ListenerArn": extra.inputs["listenerArn"],
        "Certificates": [{"CertificateArn": extra.inputs["certificateArn"]}]}) == []
    hosts = sorted(c["hostHeader"]["values"][0] for r in plan.of_type("aws:lb/listenerRule:ListenerRule")
                   for c in r.inputs["conditions"] if "hostHeader" in c)
    assert hosts == ["shop.example.com", "www.example.com"]


def test_a_configured_certificate_stays_the_default_and_domains_are_added():
    plan = on_ecs(WEB, SHOP, certificateArn=OWN_CERTIFICATE)
    assert _listeners(plan)[443]["certificateArn"] == OWN_CERTIFICATE
    assert len(plan.of_type(LISTENER_CERTIFICATE)) == 2


def test_no_dns_lookup_or_certificate_without_domains():
    plan = run_shipyard({"ecs": {"enabled": True}, "services": [{**WEB, "domain": None}]})
    assert plan.of_type(CERTIFICATE) == [] and plan.of_type(RECORD) == []
    assert [l["protocol"] for l in _listeners(plan).values()] == ["HTTP"]


# --- EKS: TLS on the Service's network load balancer --------------------------------------

def test_the_service_gets_tls_on_its_nlb(eks):
    service = objects(eks, "Service")["web"]
    annotations = service["metadata"]["annotations"]
    validation = eks.one("aws:acm/certificateValidation:CertificateValidation").inputs
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-type"] == "nlb"
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"] == validation["certificateArn"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-ports"] == "https"
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy"].startswith(
        "ELBSecurityPolicy-TLS13")
    # Only HTTPS: a network load balancer cannot redirect plain HTTP.
    assert service["spec"]["ports"] == [{"name": "https", "port": 443, "targetPort": "http",
                                         "protocol": "TCP"}]


def test_alias_record_points_at_the_services_load_balancer(eks):
    alias = _record(eks, "A")
    [target] = alias["aliases"]
    assert alias["name"] == "www.example.com"
    assert target["zoneId"] == NLB_ZONE_ID
    assert target["name"].endswith(".elb.us-east-1.amazonaws.com")  # from the Service's status
    web = eks.one("kubernetes:core/v1:Service", "eks-web")
    record = eks.one(RECORD, "www.example.com-alias")
    assert web.urn in record.depends_on
    # The record belongs to the domain, so renaming the service updates it in place.
    assert eks.by_urn(record.parent).type == "shipyard:dns:CustomDomain"


def test_services_without_a_domain_keep_plain_port_80():
    plan = run_shipyard({"eks": EKS, "services": [{**WEB, "domain": None}]})
    service = objects(plan, "Service")["web"]
    assert service["spec"]["ports"][0]["port"] == 80
    assert not any("ssl" in key for key in service["metadata"]["annotations"])
