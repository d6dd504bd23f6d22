"""A Nomad cluster in the architecture picture."""

from __future__ import annotations

import json
from typing import Optional

from shipyard.platforms.nomad.jobspec import callees_in
from shipyard.review.traffic import (
    INTERNET,
    Flow,
    Group,
    Node,
    Reader,
    get,
    service_label,
)

NOMAD_TARGET = "shipyard:nomad:NomadTarget"
NOMAD_JOB = "nomad:index/job:Job"
NOMAD_PROVIDER = "pulumi:providers:nomad"


def picture(read: Reader, network: Optional[str]) -> tuple[list[Group], list[Node], list[Flow]]:
    """Each Nomad cluster, its jobs, public static ports and calls through the catalog."""
    groups, nodes, flows = [], [], []
    for target in read.of_type(NOMAD_TARGET):
        [provider] = read.under(NOMAD_PROVIDER, target) or [None]
        address = get(provider.inputs if provider else {}, "address") or "NOMAD_ADDR"
        jobs = {}
        for job in read.under(NOMAD_JOB, target):
            spec = json.loads(job.inputs["jobspec"])
            jobs[spec["ID"]] = (job, spec)
        namespace = next((spec["Namespace"] for _, spec in jobs.values()), "default")
        groups.append(Group(target.urn, f"existing Nomad cluster {address}  (namespace "
                                        f"{namespace})", "nomad"))
        for job, spec in jobs.values():
            for group in spec["TaskGroups"]:
                networks = group.get("Networks") or [{}]
                static = [p["Value"] for n in networks for p in n.get("ReservedPorts") or []]
                ports = [p["To"] for n in networks for key in ("ReservedPorts", "DynamicPorts")
                         for p in n.get(key) or []]
                nodes.append(Node(job.urn, service_label(spec["ID"], ports, group.get("Count"),
                                                          "allocations"), "service", target.urn))
                if static:
                    flows.append(Flow(INTERNET, job.urn, "ingress", " ".join(
                        f"static port :{port} on each client" for port in static)))
            for callee in callees_in(spec):
                if callee in jobs:
                    flows.append(Flow(job.urn, jobs[callee][0].urn, "call",
                                      "http://<address>:<port> from the catalog"))
    return groups, nodes, flows


