"""Kubernetes workloads in the architecture picture: each KubernetesTarget's cluster (an EKS
cluster of this stack, or an existing one), its Deployments, the load balancers its
LoadBalancer Services get, and who calls whom (NetworkPolicies admitting callers). EKS deploys
through the same components, so this draws EKS's workloads too."""

from __future__ import annotations

from typing import Optional

from shipyard.review.engine import Resource
from shipyard.review.traffic import (
    EKS_CLUSTER,
    INTERNET,
    Flow,
    Group,
    Node,
    Reader,
    get,
    service_label,
)

K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment"
K8S_SERVICE = "kubernetes:core/v1:Service"
K8S_NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
K8S_TARGET = "shipyard:kubernetes:KubernetesTarget"
K8S_PROVIDER = "pulumi:providers:kubernetes"
APP_LABEL = "app.kubernetes.io/name"
NLB_SSL_CERT = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert"


def picture(read: Reader, network: Optional[str]
                ) -> tuple[list[Group], list[Node], list[Flow]]:
    groups, nodes, flows = [], [], []
    for target in read.of_type(K8S_TARGET):
        # The target's provider waits for the EKS cluster it deploys to; an existing one, none.
        eks = [c for p in read.under(K8S_PROVIDER, target)
               for c in read.dependencies(p, EKS_CLUSTER)]
        if eks:
            groups.append(Group(target.urn, f"EKS cluster {eks[0].inputs.get('name', eks[0].name)}"
                                f"  (Kubernetes {eks[0].inputs.get('version')})", "eks", network))
        else:
            groups.append(Group(target.urn, "existing Kubernetes cluster (kubeconfig)",
                                "kubernetes"))
        pods: dict[str, tuple[str, list[int]]] = {}  # app label -> (node key, container ports)
        for deployment in read.under(K8S_DEPLOYMENT, target):
            spec = deployment.inputs["spec"]
            ports = [p["containerPort"] for c in get(spec, "template", "spec", "containers",
                                                      default=[]) for p in c.get("ports", [])]
            pods[get(spec, "selector", "matchLabels", APP_LABEL)] = (deployment.urn, ports)
            nodes.append(Node(deployment.urn, service_label(
                deployment.inputs["metadata"]["name"], ports, spec.get("replicas"), "pods"),
                "service", target.urn))
        services = read.under(K8S_SERVICE, target)
        for service in services:
            app = get(service.inputs, "spec", "selector", APP_LABEL)
            if app in pods and get(service.inputs, "spec", "type") == "LoadBalancer":
                # An EKS cluster's load balancers live in the VPC; an existing cluster's in its
                # own network.
                node, *routes = _load_balancer_service(read, service, pods[app],
                                                       network if eks else target.urn, bool(eks))
                nodes.append(node)
                flows += routes
        service_port = {get(s.inputs, "spec", "selector", APP_LABEL):
                        get(s.inputs, "spec", "ports", default=[{}])[0].get("port")
                        for s in services}
        for policy in read.under(K8S_NETWORK_POLICY, target):  # a callee admitting its callers
            callee = get(policy.inputs, "spec", "podSelector", "matchLabels", APP_LABEL)
            for rule in get(policy.inputs, "spec", "ingress", default=[]):
                for peer in rule.get("from", []):
                    caller = get(peer, "podSelector", "matchLabels", APP_LABEL)
                    if caller in pods and callee in pods:
                        flows.append(Flow(pods[caller][0], pods[callee][0], "call",
                                          f"http://{callee}:{service_port.get(callee)}"))
    return groups, nodes, flows


def _load_balancer_service(read: Reader, service: Resource, pods: tuple[str, list[int]],
                           group: Optional[str], on_eks: bool) -> tuple[Node, Flow, Flow]:
    """A Kubernetes Service of type LoadBalancer: the load balancer its cloud creates for it."""
    annotations = get(service.inputs, "metadata", "annotations", default={}) or {}
    kind = "Network Load Balancer" if on_eks else "cloud load balancer"
    app = get(service.inputs, "spec", "selector", APP_LABEL)
    node = Node(service.urn, "\n".join([kind, f"Service {app}", *read.hostnames(service)]), "nlb",
                group)
    listeners = [f"{'TLS' if NLB_SSL_CERT in annotations else 'TCP'} :{p['port']}"
                 for p in get(service.inputs, "spec", "ports", default=[])]
    return (node, Flow(INTERNET, service.urn, "ingress", "\n".join(listeners)),
            Flow(service.urn, pods[0], "route", " ".join(f":{p}" for p in pods[1])))


