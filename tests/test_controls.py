"""Security controls: each rule passes and fails the right resources; `check` over the shipped
stacks (prod passes everything, other stacks fail only what they waive); waivers in config."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shipyard.cli import main
from shipyard.config import ConfigError
from shipyard.platforms import PLATFORMS
from shipyard.review import check, controls
from shipyard.review.controls import CONTROL_IDS, CONTROLS
from tests.conftest import PROJECT, SHIPPED_STACKS, run_shipyard
from tests.control_cases import CASES, GOOD_POD, deployment, res

# The AWS Foundational Security Best Practices controls that apply to Shipyard (shared/README.md).
FSBP = ("ECR.1 ECR.2 ECR.3 ECS.1 ECS.2 ECS.3 ECS.4 ECS.5 ECS.8 ECS.9 ECS.10 ECS.12 EKS.1 EKS.2 "
        "EKS.3 EKS.8 ELB.1 ELB.4 ELB.5 ELB.6 ELB.12 ELB.13 EC2.2 EC2.6 EC2.8 EC2.9 EC2.15 EC2.18 "
        "EC2.19 EC2.25 KMS.3 KMS.4").split()


SWARM = ["SWARM.1", "SWARM.2", "SWARM.3", "SWARM.4"]


def test_every_applicable_control_is_implemented_once():
    assert sorted(CONTROL_IDS) == sorted([*FSBP, "PSS.restricted", *SWARM, "NOMAD.hardened"])
    assert len(set(CONTROL_IDS)) == len(CONTROL_IDS)
    assert set(CASES) == set(CONTROL_IDS), "every control has a passing and a failing case"


@pytest.mark.parametrize("control", CONTROLS, ids=CONTROL_IDS)
def test_control_passes_good_and_fails_bad_resources(control):
    good, bad = CASES[control.id]
    passing = control.evaluate(good)
    assert passing and all(f.passed for f in passing), passing
    failing = control.evaluate(bad)
    assert any(not f.passed for f in failing), failing
    assert all(f.reason for f in failing if not f.passed)


def test_controls_ignore_resources_they_do_not_govern():
    unrelated = [res("aws:iam/role:Role"), res("kubernetes:core/v1:ConfigMap")]
    assert all(not c.evaluate(unrelated) for c in CONTROLS)


def test_eks_controls_read_the_aws_cluster_resource_as_well():
    cluster = res("aws:eks/cluster:Cluster", version="1.35", enabledClusterLogTypes=["audit"],
                  vpcConfig={"endpointPublicAccess": False, "endpointPrivateAccess": True},
                  encryptionConfig={"resources": ["secrets"], "provider": {"keyArn": "arn:k"}})
    assert all(f.passed for c in CONTROLS if c.id.startswith("EKS.") for f in c.evaluate([cluster]))
    open_cluster = res("aws:eks/cluster:Cluster", vpcConfig={})   # AWS defaults: public, no CIDRs
    [finding] = PLATFORMS["eks"].hook("controls").CONTROLS[0].evaluate([open_cluster])
    assert not finding.passed and "the internet" in finding.reason


def test_pod_security_names_each_violation():
    pod = {**GOOD_POD, "hostNetwork": True, "volumes": [{"name": "host", "hostPath": {"path": "/"}}],
           "containers": [{"name": "app", "securityContext": {
               "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]},
               "runAsUser": 0}}]}
    [finding] = PLATFORMS["kubernetes"].hook("controls").CONTROLS[0].evaluate([deployment(pod)])
    assert finding.reason == ("hostNetwork is true; volume host: type hostPath is not allowed; "
                              "container app: adds capabilities beyond NET_BIND_SERVICE; "
                              "container app: runs as user 0")


def test_world_ingress_on_all_ports_is_reported_as_a_range():
    rule = res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", cidrIpv4="0.0.0.0/0",
               ipProtocol="-1")
    [authorized] = controls.ec2.CONTROLS[5].evaluate([rule])
    assert authorized.reason == "port(s) 0-65535 open to the internet (only 80/443 may be)"


def test_prod_passes_every_control_without_waivers():
    results = check.run("prod").results
    # prod runs nothing on Swarm or Nomad: their controls have nothing to check.
    assert {r.control.id: r.status for r in results} == {
        c: "n/a" if c in (*SWARM, "NOMAD.hardened") else "pass" for c in CONTROL_IDS}


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_stacks_fail_only_what_they_waive(stack):
    review = check.run(stack)
    results = review.results
    waived = check.stack_waivers(stack)
    assert not check.failed(review)
    assert {r.control.id for r in results if r.status == "waived"} == set(waived)


def test_dev_waives_plain_http_access_logs_and_deletion_protection():
    assert set(check.stack_waivers("dev")) == {"ELB.1", "ELB.5", "ELB.6"}


def test_check_prints_the_table_and_exits_0_when_everything_passes(capsys):
    assert main(["check", "prod"]) == 0
    out = capsys.readouterr().out
    assert "  control         resources  result  why" in out
    assert "  ELB.5           1          pass    ALBs write access logs" in out
    assert out.rstrip().endswith("38 controls: 33 pass, 0 fail, 0 waived, 5 n/a\n"
                                 "Lifecycle (updates, replacements and deletes; "
                                 "shipyard/review/lifecycle.py): every resource is safe")


def test_check_shows_waivers_with_their_reason(capsys):
    assert main(["check", "dev"]) == 0
    assert ("  ELB.6           1          waived  waived: the dev load balancer is disposable "
            "(fails: shipyard-dev: deletion protection is off)") in capsys.readouterr().out


def test_check_exits_1_when_a_control_fails(monkeypatch, capsys):
    monkeypatch.setattr(check, "stack_waivers", lambda *args, **kwargs: {})
    assert main(["check", "dev"]) == 1
    out = capsys.readouterr().out
    assert "  ELB.6           1          FAIL    shipyard-dev: deletion protection is off" in out


def _problems(shipyard: dict) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        run_shipyard(shipyard)
    assert raised.value.registered == ()
    return raised.value.problems


def test_waiver_of_an_unknown_control_names_the_key():
    assert _problems({"waivers": [{"control": "ELB6", "reason": "x"}]}) == [
        "shipyard:waivers[0].control: unknown control 'ELB6'; did you mean 'ELB.6'?"]


def test_waiver_needs_a_reason():
    assert _problems({"waivers": [{"control": "ELB.6", "reason": "  "}]}) == [
        "shipyard:waivers[0].reason: must say why the stack may fail the control"]
    assert _problems({"waivers": [{"control": "ELB.6"}]}) == ["shipyard:waivers[0].reason: required"]


def test_production_stacks_cannot_waive():
    assert _problems({"production": True, "waivers": [{"control": "ELB.6", "reason": "x"}]}) == [
        "shipyard:waivers[0].control: production stacks cannot waive controls: fix what fails instead"]


def test_a_control_is_waived_once():
    assert _problems({"waivers": [{"control": "ELB.6", "reason": "a"},
                                  {"control": "ELB.6", "reason": "b"}]}) == [
        "shipyard:waivers[1].control: 'ELB.6' is already waived at waivers[0]"]


def test_a_waiver_that_is_not_needed_is_shown_as_such():
    good, _ = CASES["ELB.6"]
    [result] = [r for r in controls.evaluate(good, {"ELB.6": "legacy"}) if r.control.id == "ELB.6"]
    assert result.status == "pass"
    assert check._why(result) == "ALBs have deletion protection (waiver not needed: legacy)"


def test_check_exits_2_on_a_bad_waiver(tmp_path, capsys):
    for item in ("__main__.py", "Pulumi.yaml", "components", "shipyard"):
        (tmp_path / item).symlink_to(PROJECT / item)
    (tmp_path / "Pulumi.broken.yaml").write_text(
        "config:\n  shipyard:waivers:\n    - control: ECS.99\n      reason: legacy\n")
    assert main(["check", "broken", "-C", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "broken: invalid stack config",
        "  shipyard:waivers[0].control: unknown control 'ECS.99'; did you mean 'ECS.9'?"]


def test_check_json_lists_every_control_with_its_failures(capsys):
    import json
    assert main(["check", "dev", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stack"] == "dev" and report["failed"] is False
    assert [c["control"] for c in report["controls"]] == list(CONTROL_IDS)
    elb_6 = next(c for c in report["controls"] if c["control"] == "ELB.6")
    assert elb_6["status"] == "waived" and elb_6["waiver"] == "the dev load balancer is disposable"
    assert [(f["resource"], f["reason"]) for f in elb_6["failures"]] == [
        ("shipyard-dev", "deletion protection is off")]


def test_check_exits_1_when_a_resource_breaks_a_lifecycle_rule(monkeypatch, capsys):
    from shipyard.review import lifecycle
    row = lifecycle.FACTS["aws:ecs/service:Service"]
    # As before the fix: an ECS service whose updates need a deployment flag it lacks.
    monkeypatch.setitem(lifecycle.FACTS, "aws:ecs/service:Service", replace(
        row, update_requires=(("capacityProviderStrategies", "neverSet"),)))
    assert main(["check", "dev"]) == 1
    assert ("  FAIL aws:ecs/service:Service api: updating capacityProviderStrategies requires "
            "neverSet = true") in capsys.readouterr().out
