"""GIVEN a stack's config WHEN Shipyard derives where `pulumi up` must run THEN a stack whose first
`pulumi up` could reach its own cluster from nowhere is a config error, a declared runner that
cannot reach it is one too, and `plan` and `check` say which networks must reach which API.

Issue 14, finding 7: prod's private endpoint admitted only prod's own VPC (which its first
`pulumi up` creates), and the shipped CI's GitHub-hosted runners reached neither prod's nor
staging's endpoint (allow-listed to 203.0.113.0/24).
"""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.aws import reachability
from shipyard.cli import main
from shipyard.config import ConfigError, parse
from shipyard.review import engine
from tests.conftest import SHIPPED_STACKS, run_shipyard

GROUP = [{"name": "general"}]
OFFICE = ["203.0.113.0/24"]
RUNNER_EIP = "198.51.100.10/32"
EXISTING_VPC = {"vpcId": "vpc-0123456789abcdef0",
                "publicSubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                "privateSubnetIds": ["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"]}


def problems(shipyard: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse(shipyard, "us-east-1")
    return error.value.problems


def eks(**settings: Any) -> dict[str, Any]:
    return {"enabled": True, "nodeGroups": GROUP, **settings}


# --- the first `pulumi up` must reach the cluster from somewhere --------------------------------

def test_a_private_endpoint_open_only_to_the_vpc_the_first_up_creates_is_an_error():
    """prod before the fix: the production default (private) and its own VPC's CIDR."""
    [problem] = problems({"production": True, "network": {"cidrBlock": "10.20.0.0/16"},
                          "eks": eks(privateAccessCidrs=["10.20.0.0/16"])})
    assert problem.startswith(
        "shipyard:eks.endpointPublicAccess: the API endpoint is private (the production default) "
        "in a VPC this stack creates, so nothing can reach it on the first `pulumi up`")
    # It names each way out.
    for fix in ("endpointPublicAccess: true, publicAccessCidrs", "shipyard:network.vpcId",
                "shipyard:deploy.bootstrapped"):
        assert fix in problem


def test_nothing_registers_when_the_first_up_could_not_reach_the_cluster():
    with pytest.raises(ConfigError) as error:
        run_shipyard({"services": [{"name": "api", "image": "nginx:1.27"}],
                      "eks": eks(endpointPublicAccess=False, privateAccessCidrs=["172.16.0.0/16"])})
    assert error.value.registered == ()


@pytest.mark.parametrize("way_in", [
    {"eks": eks(endpointPublicAccess=True, publicAccessCidrs=[RUNNER_EIP])},
    {"network": EXISTING_VPC, "eks": eks(endpointPublicAccess=False,
                                         privateAccessCidrs=["10.50.1.0/24"])},
    {"deploy": {"bootstrapped": True},
     "eks": eks(endpointPublicAccess=False, privateAccessCidrs=["10.20.0.0/16"])},
], ids=["public-to-the-runner", "existing-vpc", "bootstrapped"])
def test_each_documented_option_is_accepted(way_in):
    assert parse({"production": True, **way_in}, "us-east-1").eks.enabled


# --- a declared runner must reach it ------------------------------------------------------------

def test_a_github_hosted_runner_cannot_reach_an_allow_listed_endpoint():
    [problem] = problems({"eks": eks(publicAccessCidrs=OFFICE),
                          "deploy": {"runsOn": ["ubuntu-24.04"]}})
    assert problem.startswith("shipyard:deploy.runsOn: the runner (ubuntu-24.04) cannot reach "
                              "the EKS cluster's API endpoint")
    assert ("the public endpoint admits 203.0.113.0/24 (shipyard:eks.publicAccessCidrs) and the "
            "runner has no fixed egress address") in problem


def test_a_github_hosted_runner_reaches_an_endpoint_open_to_the_internet():
    config = parse({"eks": eks(publicAccessCidrs=["0.0.0.0/0"]),
                    "deploy": {"runsOn": ["ubuntu-24.04"]}}, "us-east-1")
    [api] = reachability.cluster_apis(config)
    assert reachability.reaches(api, reachability.deployer(config)) is True


def test_a_runner_whose_egress_is_admitted_reaches_the_public_endpoint():
    config = parse({"eks": eks(publicAccessCidrs=["198.51.100.0/24"]),
                    "deploy": {"runsOn": ["self-hosted"], "egressCidrs": [RUNNER_EIP]}},
                   "us-east-1")
    [api] = reachability.cluster_apis(config)
    assert reachability.reaches(api, reachability.deployer(config)) is True
    # ... and one whose egress is wider than the allow-list does not.
    wider = reachability.Deployer(("self-hosted",), ("198.51.0.0/16",), (), False, True)
    assert reachability.reaches(api, wider) is False


def test_a_runner_in_a_network_the_private_endpoint_admits_reaches_it_once_the_vpc_exists():
    private = {"eks": eks(endpointPublicAccess=False, privateAccessCidrs=["10.20.0.0/16"]),
               "deploy": {"runsOn": ["self-hosted", "in-vpc"], "privateCidrs": ["10.20.4.0/24"],
                          "bootstrapped": True}}
    config = parse(private, "us-east-1")
    [api] = reachability.cluster_apis(config)
    assert reachability.reaches(api, reachability.deployer(config)) is True
    [problem] = problems({**private, "deploy": {**private["deploy"],
                                                "privateCidrs": ["10.30.0.0/24"]}})
    assert "its network 10.30.0.0/24 is not in shipyard:eks.privateAccessCidrs (10.20.0.0/16)" in problem


def test_a_github_hosted_runner_has_no_addresses_to_declare():
    assert problems({"deploy": {"runsOn": ["ubuntu-24.04"], "privateCidrs": ["10.0.0.0/24"]}}) == [
        "shipyard:deploy.privateCidrs: shipyard:deploy.runsOn is ubuntu-24.04, a GitHub-hosted "
        "runner, which has no fixed address and no network of yours: give the labels of your own "
        "runner (self-hosted, or a larger runner with static addresses) in runsOn"]


def test_an_undeclared_runner_is_left_to_plan_to_explain():
    """Without shipyard:deploy.runsOn, `pulumi up` runs wherever the team runs it (a laptop in
    the office): not an error, but plan says where it must be."""
    config = parse({"eks": eks(publicAccessCidrs=OFFICE)}, "us-east-1")
    assert not reachability.deployer(config).declared
    assert "CANNOT reach it" in "\n".join(reachability.describe(config))


# --- what plan and check say -------------------------------------------------------------------

def test_plan_says_where_pulumi_up_runs_for_each_shipped_stack(capsys):
    expected = {
        "dev": "  anywhere with the stack's AWS credentials (it calls AWS's public APIs and no "
               "Kubernetes API): runner ubuntu-24.04",
        "staging": "  runner self-hosted, shipyard-staging (egress 198.51.100.10/32; private "
                   "network none; shipyard:deploy.runsOn): reaches it through the public endpoint",
        "prod": "  runner self-hosted, shipyard-prod (egress 198.51.100.20/32; private network "
                "none; shipyard:deploy.runsOn): reaches it through the public endpoint",
    }
    assert sorted(expected) == SHIPPED_STACKS
    for stack, line in expected.items():
        assert main(["plan", stack]) == 0
        out = capsys.readouterr().out
        assert "\nWhere `pulumi up` runs:\n" in out
        assert any(l.startswith(line) for l in out.splitlines()), out[-600:]
    assert main(["plan", "prod"]) == 0
    assert ("    public endpoint: from 198.51.100.20/32 (shipyard:eks.publicAccessCidrs), as the "
            "runner's egress address") in capsys.readouterr().out.splitlines()


def test_check_says_it_too(capsys):
    assert main(["check", "staging"]) == 0
    out = capsys.readouterr().out
    assert ("  it deploys Kubernetes objects through the EKS cluster's API endpoint, reachable by"
            in out.splitlines())
    assert "    public endpoint: from 203.0.113.0/24, 198.51.100.10/32" in out


def test_an_existing_cluster_must_be_reachable_from_the_runner():
    config = parse({"kubernetes": {"context": "onprem-admin"}}, "us-east-1")
    lines = reachability.describe(config)
    assert ("  it deploys Kubernetes objects through the existing cluster's API server (the server "
            "of context 'onprem-admin' in the deployer's kubeconfig), reachable by") in lines
    assert lines[-1].endswith(": must reach that server")


# --- the finding itself -------------------------------------------------------------------------

@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_runner_the_ci_used_to_deploy_on_reaches_neither_cluster(stack):
    """What the shipped workflows ran on before (ubuntu-24.04) cannot reach the shipped EKS
    stacks; their own runners can."""
    config = engine.stack_settings(stack)
    [api] = reachability.cluster_apis(config)
    assert reachability.reaches(api, reachability.deployer(config, ("ubuntu-24.04",))) is False
    assert reachability.reaches(api, reachability.deployer(config)) is True
