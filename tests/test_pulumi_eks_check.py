"""pulumi-eks's own implementation, run offline on Shipyard's plans (../shared/tools/pulumi-eks-check).

The mocks record `eks:index:*` components as single resources and echo their inputs, so whatever
pulumi-eks would do with those inputs — its input checks, the resources it creates inside — never
runs in the rest of the suite. This tool constructs each component with pulumi-eks's TypeScript
code under Pulumi's Node mocks and reports what pulumi-eks rejects plus known deploy traps (CoreDNS
before capacity, self-managed nodes without an EC2_LINUX access entry).

Needs the tool (beside this repository, as in CI: `../shared/tools/pulumi-eks-check/run`, or
`SHIPYARD_EKS_CHECK=/path/to/run`), `node` and `npm`; skipped, saying why, where they are absent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from shipyard import engine, plan as plan_view
from tests.conftest import PROJECT

TOOL = Path(os.environ.get("SHIPYARD_EKS_CHECK",
                           PROJECT.parent / "shared" / "tools" / "pulumi-eks-check" / "run"))
MISSING = ("pulumi-eks-check not found at " + str(TOOL) if not TOOL.exists() else
           "node and npm are needed to run pulumi-eks-check" if not (shutil.which("node")
                                                                    and shutil.which("npm"))
           else None)
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

OFFICE = ["203.0.113.0/24"]
ADMINS = ["arn:aws:iam::123456789012:role/platform-admins",
          "arn:aws:iam::123456789012:user/alice",
          "arn:aws:iam::123456789012:role/shipyard-deploy"]  # the deployer: skipped, not doubled
MANAGED = {"name": "general", "instanceTypes": ["m6i.large", "m7i.large"], "minSize": 2}
SPOT = {"name": "spot", "instanceTypes": ["m6i.large", "m5.large"], "capacityType": "SPOT"}
SELF_X86 = {"name": "system", "type": "selfManaged", "instanceTypes": ["c6i.large"]}
SELF_GRAVITON = {"name": "arm", "type": "selfManaged", "instanceTypes": ["m7g.large"],
                 "capacityType": "SPOT", "spotPrice": "0.06",
                 "labels": {"arch": "arm64"}}
SERVICE = {"name": "api", "image": "ghcr.io/acme/api:1.2.3"}


def _eks(**settings: Any) -> dict[str, Any]:
    return {"aws:region": "us-east-1", "shipyard:services": [SERVICE],
            "shipyard:eks": {"enabled": True, "publicAccessCidrs": OFFICE, **settings}}


CONFIGS: dict[str, dict[str, Any]] = {
    "managed": _eks(nodeGroups=[MANAGED]),
    "managed-spot": _eks(nodeGroups=[SPOT]),
    "self-managed-x86": _eks(nodeGroups=[SELF_X86]),
    "self-managed-graviton": _eks(nodeGroups=[{**SELF_GRAVITON, "capacityType": "ON_DEMAND",
                                               "spotPrice": None}]),
    "fargate-only": _eks(fargateProfiles=[{"name": "apps", "namespaces": ["apps"]}]),
    "mixed": _eks(nodeGroups=[MANAGED, SPOT, SELF_X86, SELF_GRAVITON],
                  fargateProfiles=[{"name": "jobs", "namespaces": ["jobs"]}]),
    "private-endpoint": {**_eks(endpointPublicAccess=False, publicAccessCidrs=[],
                                privateAccessCidrs=["10.0.0.0/16"], nodeGroups=[MANAGED]),
                         "shipyard:deploy": {"bootstrapped": True}},
    "admin-principals": _eks(adminPrincipalArns=ADMINS, nodeGroups=[MANAGED]),
}
EXAMPLE = PROJECT / "examples" / "two-service-app" / "Pulumi.eks.yaml"
CASES = ["stack:staging", "stack:prod", "example:two-service-app", *CONFIGS]


def _plan(case: str) -> engine.Plan:
    if case.startswith("stack:"):
        return engine.run(case.removeprefix("stack:"))
    if case.startswith("example:"):
        return engine.run("eks", stack_file=EXAMPLE)
    config = {k: v for k, v in CONFIGS[case].items()}
    return engine.run(f"check-{case}", config=config)


def _check(plan_file: Path) -> dict[str, Any]:
    # First use builds pulumi-eks into a cache (about a minute); later runs take seconds.
    done = subprocess.run([str(TOOL), str(plan_file), "--json"], capture_output=True, text=True,
                          timeout=900)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, Any]]:
    folder = Path(tempfile.mkdtemp(prefix="pulumi-eks-check-"))
    try:
        files = []
        for case in CASES:  # the engine runs on this thread; only the checks run in parallel
            files.append(folder / f"{case.replace(':', '-')}.json")
            files[-1].write_text(plan_view.to_json(_plan(case)))
        first = _check(files[0])  # builds once before fanning out
        with ThreadPoolExecutor(max_workers=2) as pool:
            return {CASES[0]: first, **dict(zip(CASES[1:], pool.map(_check, files[1:])))}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("case", CASES)
def test_pulumi_eks_accepts_the_plan(reports, case):
    report = reports[case]
    assert report["problems"] == []
    assert report["unmockedInvokes"] == []
    assert report["created"].get("aws:eks/cluster:Cluster") == 1  # pulumi-eks built the cluster


@pytest.mark.parametrize("case", CASES)
def test_pulumi_eks_creates_no_coredns_and_no_security_groups_of_its_own(reports, case):
    created = reports[case]["created"]
    # CoreDNS is Shipyard's own add-on, after capacity; the add-ons pulumi-eks does make are
    # vpc-cni (a DaemonSet) and kube-proxy.
    assert created.get("aws:eks/addon:Addon") == 2
    # Every node sits on the security group EKS creates for the cluster.
    assert "aws:ec2/securityGroup:SecurityGroup" not in created
    assert "aws:ec2/securityGroupRule:SecurityGroupRule" not in created


def test_managed_node_groups_are_built_by_pulumi_eks(reports):
    assert reports["mixed"]["created"]["aws:eks/nodeGroup:NodeGroup"] == 2
    assert reports["stack:prod"]["created"]["aws:eks/nodeGroup:NodeGroup"] == 1


def test_admin_access_entries_are_shipyards_own(reports):
    # Made by Shipyard, keyed by principal, instead of pulumi-eks's list-position keys.
    assert "aws:eks/accessEntry:AccessEntry" not in reports["admin-principals"]["created"]
