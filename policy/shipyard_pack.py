"""One CrossGuard stack policy per Shipyard control, each running the control's own rule.

Stack policies (not resource policies) because several controls relate resources to each other
(a VPC and its flow log, a repository and its lifecycle policy), through the dependencies Pulumi
records. A control the stack waives in `shipyard:waivers` (Pulumi.<stack>.yaml, next to this
folder) reports nothing; production stacks cannot waive.
"""

from __future__ import annotations

from pathlib import Path

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from shipyard import PROJECT_ROOT
from shipyard.review import controls
from shipyard.review.check import stack_waivers


def resources_of(args: StackValidationArgs) -> list[controls.Resource]:
    return [controls.Resource(r.urn, r.resource_type, r.name, r.props, bool(r.opts.protect),
                              tuple(d.urn for d in r.dependencies))
            for r in args.resources]


def stack_name(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<type>::<name>` -> `<stack>`."""
    return urn.split("::", 1)[0].split(":", 2)[2]


def waivers(resources: list[controls.Resource], root: Path = PROJECT_ROOT) -> dict[str, str]:
    if not resources:
        return {}
    try:
        return stack_waivers(stack_name(resources[0].urn), root)
    except FileNotFoundError:
        return {}   # a stack whose config is not in this checkout waives nothing


def policy(control: controls.Control, root: Path = PROJECT_ROOT) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = resources_of(args)
        if control.id in waivers(resources, root):
            return
        for finding in control.evaluate(resources):
            if not finding.passed:
                report_violation(f"{control.id} {finding.resource}: {finding.reason}", finding.urn)

    return StackValidationPolicy(name=control.policy_name,
                                 description=f"{control.id}: {control.title}",
                                 validate=validate, enforcement_level=EnforcementLevel.MANDATORY)


POLICIES: list[StackValidationPolicy] = [policy(control) for control in controls.CONTROLS]
