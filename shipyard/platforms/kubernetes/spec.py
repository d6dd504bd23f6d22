"""`shipyard:kubernetes`: an existing cluster, by kubeconfig or context."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

from pydantic import AfterValidator, Field, model_validator

from shipyard.aws.reachability import Api
from shipyard.config.types import (
    DEFAULT_WORKLOAD_NAMESPACE,
    Autoscaling,
    DnsLabel,
    Kubeconfig,
    PlatformSection,
    not_built_in_namespace,
)

if TYPE_CHECKING:
    from shipyard.config.schema import StackConfig


class Kubernetes(PlatformSection):
    enabled: bool = Field(False, description=(
        "Deploy the services to this cluster. Default: on when `kubeconfig` or `context` is set; "
        "`true` alone uses the current context of the deployer's ~/.kube/config."))
    kubeconfig: Optional[Kubeconfig] = Field(None, min_length=1, description=(
        "Kubeconfig of an existing cluster (set it with `pulumi config set --secret --path "
        "shipyard:kubernetes.kubeconfig < kubeconfig`)."))
    context: Optional[str] = Field(None, min_length=1, description=(
        "Kubeconfig context to use (from `kubeconfig`, or the ambient ~/.kube/config)."))
    namespace: Annotated[DnsLabel, AfterValidator(not_built_in_namespace)] = Field(
        DEFAULT_WORKLOAD_NAMESPACE, description=(
            "Namespace the services are deployed to (Shipyard creates it; not one of the "
            "namespaces every cluster already has)."))
    autoscaling: Autoscaling = Field(Autoscaling(), description=(
        "HorizontalPodAutoscaler settings for services on this cluster."))

    @model_validator(mode="before")
    @classmethod
    def _enabled_by_a_cluster(cls, data: Any) -> Any:
        """Naming a cluster (kubeconfig or context) turns the section on unless it says otherwise."""
        if isinstance(data, dict) and "enabled" not in data:
            return {**data, "enabled": data.get("kubeconfig") is not None
                    or data.get("context") is not None}
        return data


    def cluster_api(self, config: StackConfig) -> Optional[Api]:
        """The existing cluster's API server: Shipyard cannot tell offline how it is reached."""
        context = f"context '{self.context}'" if self.context else "the current context"
        where = ("the server in shipyard:kubernetes.kubeconfig" if self.kubeconfig
                 else f"the server of {context} in the deployer's kubeconfig")
        return Api(f"the existing cluster's API server ({where})", ())

Section = Kubernetes
