"""The facts rows of the resource types only the Nomad platform registers (pulumi-nomad 2.6.1,
bridged from terraform-provider-nomad v2.6.1). What a row holds: shipyard/review/resource_facts.py."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Iterator, Sequence

from shipyard.review.cost import Line, Pricer
from shipyard.review.resource_facts import ResourceFacts

if TYPE_CHECKING:
    from shipyard.review.engine import Resource

NO_AWS_COST = "runs on your Nomad clients: no AWS cost"
STATIC_PORTS = "jobspec.TaskGroups.0.Networks.0.ReservedPorts"


def _jobs(pricer: Pricer, jobs: Sequence[Resource]) -> Iterator[Line]:
    """Nomad jobs cost nothing on AWS: a zero line each, so the estimate says so."""
    for job in jobs:
        spec = json.loads(job.inputs["jobspec"])
        for group in spec["TaskGroups"]:
            sizes = ", ".join(f"{t['Resources']['CPU']} MHz, {t['Resources']['MemoryMB']} MiB"
                              for t in group["Tasks"])
            yield Line(f"Nomad job {spec['ID']}", f"{group['Count']} x ({sizes})", Decimal(0),
                       NO_AWS_COST)

FACTS: dict[str, ResourceFacts] = {
    "pulumi:providers:nomad": ResourceFacts(
        "other", key_settings=("address", "region"),
        source="terraform-provider-nomad nomad/provider.go: no ForceNew; another address or "
        "region points every job at another cluster"),
    # The job's identity is in the jobspec (keys of its JSON text): a new ID (the service name)
    # or namespace forces a new job (ForceNew of id/name, namespace), the old one deregistered
    # after (deregister_on_id_change); anything else is a new version. The two jobs never
    # collide by identity, but a public job's allocations hold its static port on each client,
    # which its replacement's cannot share (Shipyard's jobs have one group, one network): those
    # jobs are replaced delete-first (components/nomad/service.py).
    "nomad:index/job:Job": ResourceFacts(
        "serving", ("jobspec.ID", "jobspec.Namespace"),
        unique_by=(STATIC_PORTS,), key_settings=("detach", "purgeOnDestroy"),
        cost=_jobs,
        source="terraform-provider-nomad nomad/resource_job.go resourceJobCustomizeDiff"),
    "nomad:index/variable:Variable": ResourceFacts(
        "security", ("path", "namespace"), unique_by=("path", "namespace"),
        key_settings=("path", "namespace"),
        source="terraform-provider-nomad nomad/resource_variable.go (path, namespace ForceNew; "
        "items update in place)"),
}
