"""EC2 instance types: how much of one an ECS task can have. (Which types exist is the config
schema's check, against botocore's EC2 model: shipyard.aws.models.)

- Sizes: the AWS docs' instance type specifications ("Amazon EC2 instance types" ->
  general purpose / compute optimized / memory optimized). The families below follow one rule:
  `medium` = 1 vCPU, `large` = 2, `xlarge` = 4, `Nxlarge` = 4N, with 2 (c), 4 (m) or 8 (r) GiB
  per vCPU; the burstable t3/t3a/t4g sizes are listed. Other types (and `.metal`) have no size
  here: Shipyard then cannot check that a task fits and says nothing.
- What a task can have: the ECS agent registers the memory the OS reports, less than installed
  ("Reserving Amazon ECS Linux container instance memory": an m4.large with 8192 MiB installed
  registers 7985 MiB, 97.5%), minus `ECS_RESERVED_MEMORY`, which Shipyard sets for the agent and
  system processes; CPU registers as 1024 units per vCPU.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

ECS_RESERVED_MEMORY_MIB = 256          # ECS_RESERVED_MEMORY in the instances' ecs.config
REGISTERED_MEMORY_SHARE = 0.97         # below the documented 97.5%, to leave a margin

_BURSTABLE = {  # size -> (vCPU, GiB)
    "nano": (2, 0.5), "micro": (2, 1), "small": (2, 2), "medium": (2, 4), "large": (2, 8),
    "xlarge": (4, 16), "2xlarge": (8, 32)}
_BURSTABLE_FAMILIES = {"t3", "t3a", "t4g"}
_GIB_PER_VCPU = {"c": 2, "m": 4, "r": 8}
_REGULAR_FAMILIES = {f"{kind}{generation}" for kind in "cmr" for generation in (
    "5", "5a", "6i", "6a", "6g", "7i", "7a", "7g", "8g")}


class InstanceSize(NamedTuple):
    vcpus: int
    memory_mib: int

    @property
    def task_cpu_units(self) -> int:
        return self.vcpus * 1024

    @property
    def task_memory_mib(self) -> int:
        return int(self.memory_mib * REGISTERED_MEMORY_SHARE) - ECS_RESERVED_MEMORY_MIB


def size_of(instance_type: str) -> Optional[InstanceSize]:
    family, _, size = instance_type.partition(".")
    if family in _BURSTABLE_FAMILIES and size in _BURSTABLE:
        vcpus, gib = _BURSTABLE[size]
        return InstanceSize(vcpus, int(gib * 1024))
    if family not in _REGULAR_FAMILIES:
        return None
    match = re.fullmatch(r"(\d*)xlarge|(large)|(medium)", size)
    if not match:
        return None
    vcpus = 1 if match[3] else 2 if match[2] else 4 * int(match[1] or 1)
    return InstanceSize(vcpus, vcpus * _GIB_PER_VCPU[family[0]] * 1024)
