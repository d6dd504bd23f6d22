"""Fargate right-sizing against AWS's table of valid task sizes."""

from __future__ import annotations

import pytest

from shipyard.aws.fargate import (
    FARGATE_SIZES,
    NoFargateSize,
    TaskSize,
    right_size,
    why_resized,
)
from shipyard.config import parse
from shipyard.platforms.ecs.task import resized_tasks
from shipyard.review import cost
from shipyard.review import plan as plan_view
from tests.conftest import run_shipyard


def test_table_matches_the_aws_documentation():
    assert FARGATE_SIZES[256] == (512, 1024, 2048)
    assert FARGATE_SIZES[512] == (1024, 2048, 3072, 4096)
    assert FARGATE_SIZES[1024] == tuple(range(2048, 8193, 1024))
    assert FARGATE_SIZES[2048] == tuple(range(4096, 16385, 1024))
    assert FARGATE_SIZES[4096] == tuple(range(8192, 30721, 1024))
    # 8 and 16 vCPU step by 4 GiB and 8 GiB, not 1 GiB; there is no 32 vCPU row.
    assert FARGATE_SIZES[8192] == tuple(range(16384, 61441, 4096))
    assert FARGATE_SIZES[16384] == tuple(range(32768, 122881, 8192))
    assert max(FARGATE_SIZES) == 16384


@pytest.mark.parametrize("cpu", sorted(FARGATE_SIZES))
def test_every_valid_combination_is_its_own_size(cpu):
    for memory in FARGATE_SIZES[cpu]:
        assert right_size(cpu / 1024, memory) == TaskSize(cpu, memory)


@pytest.mark.parametrize("vcpu, memory, expected", [
    (0.1, 128, (256, 512)),          # below the smallest row
    (0.25, 513, (256, 1024)),        # between two memory values of a row
    (0.25, 2049, (512, 3072)),       # past the row's top: next CPU row
    (0.3, 512, (512, 1024)),         # between CPU rows
    (0.5, 4097, (1024, 5120)),
    (1, 8193, (2048, 9216)),
    (2, 16385, (4096, 17408)),
    (4, 30721, (8192, 32768)),       # 8 vCPU steps by 4 GiB
    (5, 16384, (8192, 16384)),
    (8, 61441, (16384, 65536)),      # 16 vCPU steps by 8 GiB
    (8, 40000, (8192, 40960)),
    (16, 122880, (16384, 122880)),   # the largest task
    (12, 32769, (16384, 40960)),
])
def test_rounds_up_to_the_smallest_fitting_size(vcpu, memory, expected):
    assert right_size(vcpu, memory) == TaskSize(*expected)


@pytest.mark.parametrize("vcpu, memory", [(16.5, 1024), (16, 122881), (0.25, 200000)])
def test_above_the_largest_task_is_an_error(vcpu, memory):
    with pytest.raises(NoFargateSize, match="exceeds the largest Fargate task"):
        right_size(vcpu, memory)


# --- issue 18: a task sized up from its spec says so, in the plan and in the cost ---------

def test_the_reason_names_the_rule_of_the_table_that_applied():
    assert why_resized(3, 1024, right_size(3, 1024)) == (
        "Fargate tasks have 0.25, 0.5, 1, 2, 4, 8 or 16 vCPU; "
        "4 vCPU comes with 8 to 30 GiB of memory, in 1 GiB steps")
    assert why_resized(0.25, 513, right_size(0.25, 513)) == (
        "0.25 vCPU comes with 0.5, 1 or 2 GiB of memory")
    assert why_resized(8, 40000, right_size(8, 40000)) == (
        "8 vCPU comes with 16 to 60 GiB of memory, in 4 GiB steps")


RESIZED_STACK = {
    "ecs": {"enabled": True},
    "services": [{"name": "big", "image": "nginx:1.27", "cpu": 3, "memory": 1024},
                 {"name": "exact", "image": "nginx:1.27", "cpu": 1, "memory": 2048,
                  "public": True, "calls": ["proxied"]},
                 {"name": "proxied", "image": "nginx:1.27", "cpu": 0.5, "memory": 1024}],
}


@pytest.fixture(scope="module")
def resized():
    config = parse(RESIZED_STACK, "us-east-1")
    return config, run_shipyard(RESIZED_STACK)


def test_only_tasks_larger_than_their_spec_are_listed_with_from_what_to_what(resized):
    config, plan = resized
    tasks = {t.name: t.inputs for t in plan.of_type("aws:ecs/taskDefinition:TaskDefinition")}
    listed = {r.service: r for r in resized_tasks(config)}
    # `exact` is a valid Fargate size; its Service Connect proxy makes it 1.25 vCPU: resized too.
    assert sorted(listed) == ["big", "exact", "proxied"]
    assert (tasks["big"]["cpu"], tasks["big"]["memory"]) == ("4096", "8192")
    assert listed["big"].explain() == (
        "big: asks 3 vCPU, 1024 MiB; runs 4 vCPU, 8 GiB, the smallest valid Fargate size that "
        "holds it: Fargate tasks have 0.25, 0.5, 1, 2, 4, 8 or 16 vCPU; 4 vCPU comes with 8 to "
        "30 GiB of memory, in 1 GiB steps")
    assert listed["proxied"].asked == (
        "0.5 vCPU, 1024 MiB + 0.25 vCPU, 64 MiB for its Service Connect proxy")
    # What the plan says each runs is what its task definition registers.
    for name, entry in listed.items():
        assert entry.runs == (f"{int(tasks[name]['cpu']) / 1024:g} vCPU, "
                              f"{int(tasks[name]['memory']) / 1024:g} GiB")


def test_a_valid_size_without_a_proxy_is_not_listed():
    config = parse({"ecs": {"enabled": True},
                    "services": [{"name": "api", "image": "nginx:1.27", "cpu": 1, "memory": 2048}]},
                   "us-east-1")
    assert resized_tasks(config) == []


def test_the_plan_and_the_cost_say_a_task_was_right_sized(resized):
    config, plan = resized
    notes = plan_view.notes(plan, config).splitlines()
    assert notes[0].startswith("Right-sized ECS tasks")
    assert notes[1] == "  " + next(r for r in resized_tasks(config) if r.service == "big").explain()
    lines = {line.item: line for line in cost.estimate(plan, config=config).lines}
    assert lines["ECS Fargate big"].quantity == "2 x (4 vCPU, 8 GB) x 730 h"
    assert lines["ECS Fargate big"].note == (
        "right-sized from 3 vCPU, 1024 MiB to 4 vCPU, 8 GiB, the smallest valid Fargate size")
    # Without the config (the README's cost table) the lines carry no note, and the same amounts.
    plain = {line.item: line for line in cost.estimate(plan).lines}
    assert plain["ECS Fargate big"].note == "" and plain["ECS Fargate big"].monthly == lines[
        "ECS Fargate big"].monthly
