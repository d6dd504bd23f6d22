"""KubernetesWorkload: one cloud-neutral service as Kubernetes objects, on any cluster."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic.alias_generators import to_snake

from components.custom_domain import CustomDomain
from shipyard.config.schema import Service
from shipyard.config.types import Autoscaling
from shipyard.platforms.kubernetes import manifests
from shipyard.services.containers import secret_versions_digest
from shipyard.services.scaling import replica_bounds
from shipyard.services.secret_values import read_secret


@dataclass(frozen=True)
class KubernetesWorkloadArgs:
    service: Service
    image: pulumi.Input[str]
    namespace: str
    autoscaling: Autoscaling
    load_balancer_annotations: Optional[dict[str, str]] = None
    callers: tuple[str, ...] = ()   # services allowed to call this one
    domain: Optional[CustomDomain] = None  # EKS only: TLS on its NLB and an alias record
    # Node architectures (kubernetes.io/arch) the pods are kept to; () for any node.
    architectures: tuple[str, ...] = ()


class KubernetesWorkload(pulumi.ComponentResource):
    def __init__(self, name: str, args: KubernetesWorkloadArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:kubernetes:KubernetesWorkload", name, None, opts)
        service, ns = args.service, args.namespace
        child = pulumi.ResourceOptions(parent=self)

        def register(kind, manifest: dict, suffix: str = "",
                     options: pulumi.ResourceOptions = child):
            """Register a manifest with the typed pulumi-kubernetes class of its kind."""
            body = {to_snake(k): v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
            return kind(f"{name}{suffix}", **body, opts=options)

        register(k8s.core.v1.ServiceAccount, manifests.service_account(service, ns))
        depends_on = []
        secret_versions = None
        if service.secrets:
            reads = {key: read_secret(arn, f"service {service.name}, secret {key} ({arn})")
                     for key, arn in sorted(service.secrets.items())}
            depends_on.append(register(k8s.core.v1.Secret, manifests.secret(
                service, ns, {key: read.value for key, read in reads.items()}), "-secrets"))
            # Pods read secrets as env vars at start: a rotation (a new version) or another
            # reference must change the pod template for `pulumi up` to roll them. Versions,
            # unlike values, are not secret: the Deployment stays readable in `pulumi preview --diff`.
            secret_versions = pulumi.Output.all(
                **{key: read.source for key, read in reads.items()}).apply(
                secret_versions_digest)

        scaling = args.autoscaling
        bounds = replica_bounds(service, scaling)
        register(k8s.apps.v1.Deployment,
                 manifests.deployment(service, ns, args.image,
                                      bounds.min if scaling.enabled else service.replicas,
                                      secret_versions, args.architectures),
                 options=pulumi.ResourceOptions(
                     parent=self, depends_on=depends_on,
                     # The HorizontalPodAutoscaler owns the replica count.
                     ignore_changes=["spec.replicas"] if scaling.enabled else None))
        domain = args.domain
        kubernetes_service = register(k8s.core.v1.Service, manifests.service(
            service, ns, args.load_balancer_annotations,
            domain.certificate_arn if domain else None))
        if domain:
            # The cloud provider's NLB, as its hostname appears in the Service's status (Pulumi
            # waits for it), and the hosted zone of network load balancers in this region.
            hostname = kubernetes_service.status.apply(
                lambda status: status.load_balancer.ingress[0].hostname)
            nlb_zone = aws.lb.get_hosted_zone_id_output(load_balancer_type="network").id
            domain.point_at(hostname, nlb_zone)
        register(k8s.policy.v1.PodDisruptionBudget, manifests.pod_disruption_budget(service, ns))
        register(k8s.networking.v1.NetworkPolicy,
                 manifests.network_policy(service, ns, list(args.callers)))
        if scaling.enabled:
            register(k8s.autoscaling.v2.HorizontalPodAutoscaler,
                     manifests.horizontal_pod_autoscaler(service, ns, bounds, scaling))
        self.register_outputs({})
