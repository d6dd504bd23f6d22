"""Security controls: AWS Foundational Security Best Practices (Security Hub) and the Kubernetes
Pod Security Standard `restricted`, as pure rules over recorded resources.

One implementation per control, shared by `python -m shipyard check <stack>` (over the offline
plan) and the CrossGuard policy pack in `policy/` (over a real `pulumi preview`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

from shipyard.platforms import PLATFORMS
from shipyard.review.controls import ec2, ecr, elb, kms
from shipyard.review.controls.base import Control, Finding, Resource

# The AWS services' controls, then each platform's own (its `controls` hook), in registry order.
CONTROLS: tuple[Control, ...] = (
    *ecr.CONTROLS, *elb.CONTROLS, *ec2.CONTROLS, *kms.CONTROLS,
    *(control for platform in PLATFORMS.values() for control in platform.hook("controls").CONTROLS))
CONTROL_IDS: tuple[str, ...] = tuple(c.id for c in CONTROLS)


@dataclass(frozen=True)
class Result:
    control: Control
    findings: tuple[Finding, ...]
    waiver: Optional[str] = None    # the stack's reason, when it waives the control

    @property
    def failures(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.passed)

    @property
    def status(self) -> str:
        """`pass`, `fail`, `waived` (failing, with a reason in config) or `n/a` (nothing to check)."""
        if not self.findings:
            return "n/a"
        if not self.failures:
            return "pass"
        return "waived" if self.waiver else "fail"


def evaluate(resources: Sequence[Resource], waivers: Optional[Mapping[str, str]] = None
             ) -> list[Result]:
    """Every control over these resources; `waivers` maps a control id to the stack's reason."""
    waivers = waivers or {}
    return [Result(c, c.evaluate(resources), waivers.get(c.id)) for c in CONTROLS]


__all__ = ["CONTROLS", "CONTROL_IDS", "Control", "Finding", "Resource", "Result", "evaluate"]
