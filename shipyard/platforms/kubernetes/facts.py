"""The facts rows of the resource types only the Kubernetes platform's components register: the
provider of the cluster and each service's objects (EKS deploys through the same components).
What a row holds: shipyard/review/resource_facts.py."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Iterator, Sequence

from shipyard.platforms import PLATFORMS
from shipyard.review.cost import Line, Pricer
from shipyard.review.mock_values import MockCall
from shipyard.review.resource_facts import ResourceFacts, k8s

if TYPE_CHECKING:
    from shipyard.review.engine import Plan, Resource


def _service(call: MockCall) -> dict:
    if call.inputs.get("spec", {}).get("type") != "LoadBalancer":
        return {}
    # The cloud provider's load balancer, as Kubernetes reports it in the status.
    hostname = (f"a{call.digest[:16]}-{int(call.digest[:9], 16)}.elb.{call.region}"
                ".amazonaws.com")
    return {"status": {"loadBalancer": {"ingress": [{"hostname": hostname}]}}}


def in_this_account(plan: Plan, resource: Resource) -> bool:
    """Whether a Kubernetes object is on a cluster in the stack's VPC (not one outside AWS): its
    KubernetesTarget component is named after its platform."""
    while resource.parent is not None:
        resource = plan.by_urn(resource.parent)
        if resource.type == "shipyard:kubernetes:KubernetesTarget":
            return resource.name in PLATFORMS and PLATFORMS[resource.name].in_vpc
    return False


def _load_balancers(pricer: Pricer, services: Sequence[Resource]) -> Iterator[Line]:
    """The load balancer the cluster creates for each LoadBalancer Service, where it is AWS's."""
    public_zones = sum(1 for s in pricer.plan.of_type("aws:ec2/subnet:Subnet")
                       if "kubernetes.io/role/elb" in s.inputs.get("tags", {}))
    for service in services:
        if service.inputs["spec"]["type"] != "LoadBalancer":
            continue
        item = f"Load balancer for Kubernetes service {service.name}"
        if not in_this_account(pricer.plan, service):
            yield Line(item, "1", None, "on a cluster outside this stack's AWS account: not priced")
            continue
        yield dataclasses.replace(
            pricer.hourly(item, 1, "load_balancer_hour", note="created by Kubernetes, not Pulumi"),
            usage=("network_load_balancer",))
        if public_zones:
            yield pricer.hourly("Public IPv4 addresses (its load balancer, one per AZ)",
                                public_zones, "public_ipv4_hour")


def _fargate_pods(pricer: Pricer, deployments: Sequence[Resource]) -> Iterator[Line]:
    """Pods of Deployments in a namespace an EKS Fargate profile selects whole."""
    namespaces = {selector["namespace"]
                  for profile in pricer.plan.of_type("aws:eks/fargateProfile:FargateProfile")
                  for selector in profile.inputs["selectors"] if not selector.get("labels")}
    for deployment in deployments:
        if deployment.inputs["metadata"]["namespace"] in namespaces:
            spec = deployment.inputs["spec"]
            requests = spec["template"]["spec"]["containers"][0]["resources"]["requests"]
            yield pricer.eks_fargate_pods(f"EKS Fargate pods {deployment.name}",
                                          spec["replicas"], int(requests["cpu"][:-1]) / 1000,
                                          int(requests["memory"][:-2]))


FACTS: dict[str, ResourceFacts] = {
    "pulumi:providers:kubernetes": ResourceFacts(
        "other", source="pulumi-kubernetes provider.go DiffConfig: a kubeconfig naming another "
        "cluster replaces the provider and so every object it manages"),
    "kubernetes:core/v1:Namespace": k8s(),
    "kubernetes:core/v1:ServiceAccount": k8s(),
    "kubernetes:core/v1:Secret": k8s("type", "stringData", "data"),
    "kubernetes:core/v1:Service": k8s("spec.clusterIP", key_settings=("spec.type", "spec.ports"),
                                      outputs=_service, cost=_load_balancers),
    "kubernetes:apps/v1:Deployment": k8s("spec.selector",
                                         key_settings=("metadata.namespace", "spec.replicas"),
                                         cost=_fargate_pods),
    "kubernetes:policy/v1:PodDisruptionBudget": k8s(),
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": k8s(key_settings=("spec.ingress",)),
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": k8s(
        key_settings=("spec.minReplicas", "spec.maxReplicas")),
}
