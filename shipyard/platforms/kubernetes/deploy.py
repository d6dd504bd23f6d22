"""The services as Kubernetes workloads on an existing cluster (`pulumi up`)."""

from __future__ import annotations

from components.kubernetes.target import KubernetesTarget, KubernetesTargetArgs
from shipyard.platforms.base import Outputs, Shared
from shipyard.services.architectures import pod_architectures


def deploy(shared: Shared) -> Outputs:
    config = shared.config
    on_cluster = config.services_on("kubernetes")
    KubernetesTarget("kubernetes", KubernetesTargetArgs(
        on_cluster, shared.images, config.kubernetes.namespace, config.kubernetes.autoscaling,
        kubeconfig=config.kubernetes.kubeconfig, context=config.kubernetes.context,
        architectures={s.name: pod_architectures(config, s, "kubernetes") for s in on_cluster}))
    return {}
