"""The facts rows of the resource types only the Kubernetes platform's components register: the
provider of the cluster and each service's objects (EKS deploys through the same components).
What a row holds: shipyard/resource_facts.py."""

from __future__ import annotations

from shipyard.mock_values import MockCall
from shipyard.resource_facts import ResourceFacts, k8s


def _service(call: MockCall) -> dict:
    if call.inputs.get("spec", {}).get("type") != "LoadBalancer":
        return {}
    # The cloud provider's load balancer, as Kubernetes reports it in the status.
    hostname = (f"a{call.digest[:16]}-{int(call.digest[:9], 16)}.elb.{call.region}"
                ".amazonaws.com")
    return {"status": {"loadBalancer": {"ingress": [{"hostname": hostname}]}}}


FACTS: dict[str, ResourceFacts] = {
    "pulumi:providers:kubernetes": ResourceFacts(
        "other", source="pulumi-kubernetes provider.go DiffConfig: a kubeconfig naming another "
        "cluster replaces the provider and so every object it manages"),
    "kubernetes:core/v1:Namespace": k8s(),
    "kubernetes:core/v1:ServiceAccount": k8s(),
    "kubernetes:core/v1:Secret": k8s("type", "stringData", "data"),
    "kubernetes:core/v1:Service": k8s("spec.clusterIP", key_settings=("spec.type", "spec.ports"),
                                      outputs=_service),
    "kubernetes:apps/v1:Deployment": k8s("spec.selector",
                                         key_settings=("metadata.namespace", "spec.replicas")),
    "kubernetes:policy/v1:PodDisruptionBudget": k8s(),
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": k8s(key_settings=("spec.ingress",)),
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": k8s(
        key_settings=("spec.minReplicas", "spec.maxReplicas")),
}
