"""Fargate task sizing: the smallest valid CPU/memory combination that fits a service.

The table is AWS's list of supported task CPU and memory values (ECS developer guide,
"Task CPU and memory", and the "task-cpu-memory-error" troubleshooting page). ECS rejects any
other pair with "No Fargate configuration exists for given values".
"""

from __future__ import annotations

from typing import NamedTuple


def _steps(low: int, high: int, step: int) -> tuple[int, ...]:
    return tuple(range(low, high + 1, step))


# CPU units (1024 = 1 vCPU) -> memory values in MiB, ascending.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: _steps(1024, 4096, 1024),
    1024: _steps(2048, 8192, 1024),
    2048: _steps(4096, 16384, 1024),
    4096: _steps(8192, 30720, 1024),
    8192: _steps(16384, 61440, 4096),     # Linux platform 1.4.0+
    16384: _steps(32768, 122880, 8192),   # Linux platform 1.4.0+
}
MAX_CPU_UNITS = max(FARGATE_SIZES)
MAX_MEMORY_MIB = max(FARGATE_SIZES[MAX_CPU_UNITS])


class TaskSize(NamedTuple):
    cpu: int      # CPU units
    memory: int   # MiB

    @property
    def vcpu(self) -> float:
        return self.cpu / 1024


class NoFargateSize(ValueError):
    """No Fargate size holds the requested CPU and memory."""


def right_size(vcpu: float, memory_mib: int) -> TaskSize:
    """The smallest Fargate size with at least `vcpu` vCPUs and `memory_mib` MiB.

    CPU is minimised first (it is the dearer dimension), then memory within that CPU row.
    """
    units = vcpu * 1024
    for cpu, memories in FARGATE_SIZES.items():
        if cpu < units:
            continue
        fitting = [m for m in memories if m >= memory_mib]
        if fitting:
            return TaskSize(cpu, fitting[0])
    raise NoFargateSize(
        f"{vcpu:g} vCPU with {memory_mib} MiB exceeds the largest Fargate task "
        f"({MAX_CPU_UNITS // 1024} vCPU, {MAX_MEMORY_MIB} MiB)")


def _gib(mib: int) -> str:
    return f"{mib / 1024:g}"


def _memory_choices(cpu: int) -> str:
    memories = FARGATE_SIZES[cpu]
    steps = {high - low for low, high in zip(memories, memories[1:])}
    if len(steps) == 1 and len(memories) > 3:
        return (f"{_gib(memories[0])} to {_gib(memories[-1])} GiB of memory, "
                f"in {_gib(steps.pop())} GiB steps")
    return ", ".join(_gib(m) for m in memories[:-1]) + f" or {_gib(memories[-1])} GiB of memory"


def why_resized(vcpu: float, memory_mib: int, size: TaskSize) -> str:
    """Why `right_size(vcpu, memory_mib)` gave `size`, in the words of AWS's table."""
    reasons = []
    if size.cpu != vcpu * 1024:
        cpus = [f"{cpu / 1024:g}" for cpu in FARGATE_SIZES]
        reasons.append(f"Fargate tasks have {', '.join(cpus[:-1])} or {cpus[-1]} vCPU")
    if size.cpu != vcpu * 1024 or size.memory != memory_mib:
        reasons.append(f"{size.vcpu:g} vCPU comes with {_memory_choices(size.cpu)}")
    return "; ".join(reasons)
