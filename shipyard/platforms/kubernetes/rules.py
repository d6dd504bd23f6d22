"""The config rules only an existing Kubernetes cluster has: its kubeconfig."""

from __future__ import annotations

from typing import Iterator

import yaml

from shipyard.config.rules import Problem
from shipyard.config.schema import StackConfig


def kubernetes_target(config: StackConfig) -> Iterator[Problem]:
    kubeconfig = config.kubernetes.kubeconfig
    if kubeconfig is None:
        return
    try:
        document = yaml.safe_load(kubeconfig)
    except yaml.YAMLError:
        document = None
    if not isinstance(document, dict) or not document.get("clusters"):
        yield ("kubernetes", "kubeconfig"), "must be a kubeconfig document (YAML or JSON with clusters)"
        return
    # The Kubernetes provider (client-go clientcmd) reads `clusters` as a list of named entries,
    # each `{name: ..., cluster: {server: ...}}`; anything else fails only when `pulumi up`
    # connects.
    shape = "each entry of clusters must be {name: <name>, cluster: {server: https://...}}"
    clusters = document["clusters"]
    if not isinstance(clusters, list):
        yield ("kubernetes", "kubeconfig"), (
            f"clusters must be a list of named clusters, not a {type(clusters).__name__}: {shape}")
        return
    for index, entry in enumerate(clusters):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) \
                or not entry["name"]:
            yield ("kubernetes", "kubeconfig"), f"clusters[{index}] has no name: {shape}"
        elif not isinstance(entry.get("cluster"), dict) \
                or not isinstance(entry["cluster"].get("server"), str):
            yield ("kubernetes", "kubeconfig"), (
                f"clusters[{index}] ('{entry['name']}') has no cluster.server: {shape}")


RULES = (kubernetes_target,)
