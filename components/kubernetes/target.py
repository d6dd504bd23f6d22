"""KubernetesTarget: a cluster to deploy services to — the EKS cluster, or any cluster reachable
from a kubeconfig — with its provider, namespace and one workload per service."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from components.custom_domain import CustomDomain
from components.kubernetes.workload import KubernetesWorkload, KubernetesWorkloadArgs
from shipyard.config.schema import Service
from shipyard.config.types import Autoscaling
from shipyard.platforms.kubernetes import manifests
from shipyard.services.calls import callers_of


@dataclass(frozen=True)
class KubernetesTargetArgs:
    services: list[Service]
    images: dict[str, pulumi.Input[str]]
    namespace: str
    autoscaling: Autoscaling
    kubeconfig: Optional[pulumi.Input[str]] = None
    context: Optional[str] = None
    load_balancer_annotations: dict[str, str] = field(default_factory=dict)
    # What must exist before anything is deployed (an EKS cluster's capacity and DNS): every
    # object uses the provider, so making the provider wait makes them all wait.
    cluster_ready: list[pulumi.Resource] = field(default_factory=list)
    # Service name -> its custom domain (EKS: TLS on the service's NLB and an alias record).
    domains: dict[str, CustomDomain] = field(default_factory=dict)
    # Service name -> the node architectures (kubernetes.io/arch) its pods are kept to; none
    # when every node may run its image.
    architectures: dict[str, tuple[str, ...]] = field(default_factory=dict)


class KubernetesTarget(pulumi.ComponentResource):
    def __init__(self, name: str, args: KubernetesTargetArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:kubernetes:KubernetesTarget", name, None, opts)
        provider = k8s.Provider(
            name, kubeconfig=pulumi.Output.secret(args.kubeconfig) if args.kubeconfig else None,
            context=args.context,
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.cluster_ready or None))
        on_cluster = pulumi.ResourceOptions(parent=self, provider=provider)
        namespace = manifests.namespace(args.namespace)
        ns = k8s.core.v1.Namespace(f"{name}-namespace", metadata=namespace["metadata"],
                                   opts=on_cluster)
        for service in args.services:
            KubernetesWorkload(
                f"{name}-{service.name}",
                KubernetesWorkloadArgs(service, args.images[service.name], args.namespace,
                                       args.autoscaling, args.load_balancer_annotations,
                                       callers=tuple(callers_of(args.services, service.name)),
                                       domain=args.domains.get(service.name),
                                       architectures=args.architectures.get(service.name, ())),
                opts=pulumi.ResourceOptions(parent=self, providers=[provider], depends_on=[ns]))
        self.register_outputs({"namespace": args.namespace})
