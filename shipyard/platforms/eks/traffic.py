"""EKS in the architecture picture: its workloads are KubernetesTarget components, drawn (with
their EKS cluster's box) by the kubernetes platform's `traffic` hook; nothing of its own."""

from __future__ import annotations

from typing import Optional

from shipyard.review.traffic import Flow, Group, Node, Reader


def picture(read: Reader, network: Optional[str]) -> tuple[list[Group], list[Node], list[Flow]]:
    return [], [], []
