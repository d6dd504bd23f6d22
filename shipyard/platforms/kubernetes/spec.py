"""`shipyard:kubernetes`: an existing cluster, by kubeconfig or context."""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import AfterValidator, Field

from shipyard.config.types import (
    DEFAULT_WORKLOAD_NAMESPACE,
    Autoscaling,
    DnsLabel,
    Model,
    not_built_in_namespace,
)


class Kubernetes(Model):
    kubeconfig: Optional[str] = Field(None, min_length=1, description=(
        "Kubeconfig of an existing cluster (set it with `pulumi config set --secret`)."))
    context: Optional[str] = Field(None, min_length=1, description=(
        "Kubeconfig context to use (from `kubeconfig`, or the ambient ~/.kube/config)."))
    namespace: Annotated[DnsLabel, AfterValidator(not_built_in_namespace)] = Field(
        DEFAULT_WORKLOAD_NAMESPACE, description=(
            "Namespace the services are deployed to (Shipyard creates it; not one of the "
            "namespaces every cluster already has)."))
    autoscaling: Autoscaling = Field(Autoscaling(), description=(
        "HorizontalPodAutoscaler settings for services on this cluster."))

    @property
    def enabled(self) -> bool:
        return self.kubeconfig is not None or self.context is not None


Section = Kubernetes
