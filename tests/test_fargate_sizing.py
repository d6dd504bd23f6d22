"""Fargate right-sizing against AWS's table of valid task sizes."""

from __future__ import annotations

import pytest

from shipyard.fargate import FARGATE_SIZES, NoFargateSize, TaskSize, right_size


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
