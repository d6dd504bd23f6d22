"""What a compute platform is to Shipyard: one value of facts, plus hooks found by convention.

A platform's static facts (what it needs from the stack, what it can do) are a `Platform` value
in its package's `__init__.py`, which imports nothing else of Shipyard, so the config schema can
read the registry. Its code lives beside it and is imported only when asked for:

- `shipyard.platforms.<name>.spec`: `Section`, the pydantic model of `shipyard:<name>`;
- `shipyard.platforms.<name>.rules`: `RULES`, the config rules only this platform has (and,
  optionally, `REGIONAL_RULES` given `aws:region`, `STACK_RULES` given the stack's prefix
  and which keys are secrets, `NOTES`: what `plan` and `check` say but do not refuse);
- `shipyard.platforms.<name>.capacity`: `capacity(config)` (the CPU architectures its capacity
  runs) and `build_architectures(config)` (what an image Shipyard builds must cover for it);
- `shipyard.platforms.<name>.deploy`: `deploy(shared)`, registering its resources during
  `pulumi up` and returning its stack outputs. Only an enabled platform's deploy module (and so
  its provider SDK) is imported;
- `shipyard.platforms.<name>.facts`: `FACTS: dict[str, ResourceFacts]`, one row per resource
  type only this platform's components register (lifecycle, key settings, mock outputs, graph
  class, name rule; shipyard/review/resource_facts.py says what each member is and where a row lives),
  and optionally INSTANCES_ITEM, what the cost report calls the instances of its Auto Scaling groups.
  It imports no provider SDK: the offline tools read every platform's rows;
- `shipyard.platforms.<name>.controls`: `CONTROLS`, the security controls over the resources
  only this platform registers (shipyard/review/controls/base.py), run by `check` and the policy pack.

tests/test_platforms.py holds every platform to this contract (CONTRIBUTING.md: adding a platform).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Mapping, Optional

if TYPE_CHECKING:
    import pulumi

    from components.custom_domain import CustomDomain
    from components.network import Network
    from shipyard.aws.context import AwsContext
    from shipyard.config.schema import StackConfig

HOOKS = ("spec", "rules", "capacity", "deploy", "facts", "controls", "traffic")


@dataclass(frozen=True)
class Shared:
    """What a platform's `deploy` is given: the stack's config and the pieces its platforms share.
    `aws_context` and `network` are None when no enabled platform runs in the VPC."""

    config: StackConfig
    prefix: str                                  # "<project>-<stack>", the AWS names' prefix
    aws_context: Optional[AwsContext]
    network: Optional[Network]
    images: Mapping[str, pulumi.Input[str]]      # service name -> image reference
    domains: Mapping[str, CustomDomain]          # service name -> its certificate and records
    log_key_arn: Optional[pulumi.Input[str]]     # the KMS key of the logs Shipyard creates


Outputs = Mapping[str, Any]  # stack outputs a platform's deploy returns, by output name


@dataclass(frozen=True)
class Picture:
    """How the architecture picture draws the platform's box."""

    fill: str
    border: str
    legend: str


@dataclass(frozen=True)
class Platform:
    name: str                 # its `runOn` value and its config section, `shipyard:<name>`
    title: str                # what people call it, in messages and headings
    in_vpc: bool              # runs in the stack's VPC (network, NAT or endpoints, flow logs)
    secrets_at_deploy: bool   # Shipyard reads secret values during `pulumi up`, in aws:region
    domains: bool             # a public service can get a `domain` (an AWS load balancer)
    autoscaling: bool         # its section has `autoscaling` (min/max replicas)
    log_groups: bool          # it creates CloudWatch log groups (encrypted with the stack's log key)
    section: str              # what `shipyard:<name>` is, in the config reference
    picture: Picture
    # Its orchestrator changes what `pulumi up` deployed by itself (Swarm rolls a failed update
    # back) where the state does not see it: the shipped deploy workflow refreshes the state
    # first for a stack that enables it (`python -m shipyard refresh-first <stack>`).
    refresh_before_up: bool = False

    def hook(self, module: str) -> ModuleType:
        """One of the platform's modules (HOOKS), imported on first use."""
        if module not in HOOKS:
            raise ValueError(f"unknown platform hook {module!r}: one of {', '.join(HOOKS)}")
        return importlib.import_module(f"shipyard.platforms.{self.name}.{module}")
