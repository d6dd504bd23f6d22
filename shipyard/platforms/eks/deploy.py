"""The EKS cluster (pulumi-eks) and the services on it as Kubernetes workloads (`pulumi up`)."""

from __future__ import annotations

from components.eks.cluster import EksCluster, EksClusterArgs
from components.kubernetes.target import KubernetesTarget, KubernetesTargetArgs
from shipyard.platforms.base import Outputs, Shared
from shipyard.services.architectures import pod_architectures


def deploy(shared: Shared) -> Outputs:
    config, network = shared.config, shared.network
    cluster = EksCluster(shared.prefix, EksClusterArgs(
        config.eks, shared.prefix, shared.aws_context, network.vpc_id, network.vpc_cidr,
        network.private_subnet_ids, endpoint_public=config.eks.endpoint_public(config),
        production=config.production))
    on_eks = config.services_on("eks")
    KubernetesTarget("eks", KubernetesTargetArgs(
        on_eks, shared.images, config.eks.namespace, config.eks.autoscaling,
        kubeconfig=cluster.kubeconfig,
        load_balancer_annotations={"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
        domains=shared.domains, cluster_ready=cluster.ready,
        # Pods stay on nodes their image runs on (kubernetes.io/arch), where the nodes differ.
        architectures={s.name: pod_architectures(config, s, "eks") for s in on_eks}))
    return {"eksClusterName": cluster.cluster_name, "eksEndpoint": cluster.endpoint,
            "eksOidcProviderArn": cluster.oidc_provider_arn, "kubeconfig": cluster.kubeconfig}
