"""The checks Nomad makes at job registration that Shipyard's jobs could meet, on the jobspec
itself (api.Job as JSON), so the tests hold every planned job to them.

Source: github.com/hashicorp/nomad nomad/structs at b0f552dbe971 (the commit api_fields.py
cites): structs.go TaskGroup.validateScalingPolicy (count within the scaling min and max),
TaskGroup.validateServices (a single service provider per group), services.go
ServiceCheck.validateNomad (native discovery takes `http` and `tcp` checks only, and no
address_mode "driver" or `expose`).
"""

from __future__ import annotations

from typing import Any

NATIVE_CHECK_TYPES = ("http", "tcp")


def job_problems(job: dict[str, Any]) -> list[str]:
    problems = []
    for group in job.get("TaskGroups") or []:
        at = f"group {group.get('Name')}"
        count, scaling = group.get("Count"), group.get("Scaling")
        if scaling and count is not None:
            if count > scaling["Max"]:
                problems.append(f"{at}: count {count} is greater than the scaling max "
                                f"{scaling['Max']}")
            if count < scaling.get("Min", 0):
                problems.append(f"{at}: count {count} is less than the scaling min "
                                f"{scaling['Min']}")
        services = [*(group.get("Services") or []),
                    *(s for task in group.get("Tasks") or [] for s in task.get("Services") or [])]
        providers = sorted({s.get("Provider") or "consul" for s in services})
        if len(providers) > 1:
            problems.append(f"{at}: services use {' and '.join(providers)}: one discovery "
                            "provider per group")
        for service in services:
            if (service.get("Provider") or "consul") != "nomad":
                continue
            for check in service.get("Checks") or []:
                if check.get("Type") not in NATIVE_CHECK_TYPES:
                    problems.append(f"{at}: service {service.get('Name')}: a {check.get('Type')} "
                                    "check, but native (nomad) discovery runs http and tcp only")
                if check.get("AddressMode") == "driver" or check.get("Expose"):
                    problems.append(f"{at}: service {service.get('Name')}: address_mode driver "
                                    "and expose are Consul-only")
    return problems
