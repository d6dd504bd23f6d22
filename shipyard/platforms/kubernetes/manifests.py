"""Kubernetes objects for one cloud-neutral service, as plain manifests.

The same documents are registered by pulumi-kubernetes and, in the tests, checked against the
official Kubernetes schemas (kubernetes-validate) and checkov's Kubernetes checks. Pods meet the
Pod Security Standards "restricted" profile.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from shipyard.config.schema import Service
from shipyard.config.types import Autoscaling
from shipyard.services.containers import (
    RUN_AS_USER,
    SCRATCH_MIB,
)
from shipyard.services.routing import TLS_POLICY
from shipyard.services.scaling import ReplicaBounds

SCRATCH_SIZE = f"{SCRATCH_MIB}Mi"
PROBE_PORT = "http"
TLS_PORT = "https"
RESTRICTED = "restricted"
SECRET_VERSIONS_ANNOTATION = "shipyard/secret-versions"
ARCH_LABEL = "kubernetes.io/arch"
# The AWS cloud provider's Service annotations for a TLS listener on the NLB it creates: the
# ports named in `-ssl-ports` get TLS with the certificate and policy; traffic to the pods stays
# TCP (kubernetes/cloud-provider-aws, pkg/providers/v1/aws.go, EnsureLoadBalancer's NLB port
# mappings).
SSL_CERT_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert"
SSL_PORTS_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-ssl-ports"
SSL_POLICY_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy"


def labels(service: Service) -> dict[str, str]:
    return {"app.kubernetes.io/name": service.name, "app.kubernetes.io/managed-by": "shipyard"}


def _selector(service: Service) -> dict[str, str]:
    return {"app.kubernetes.io/name": service.name}


def _metadata(service: Service, namespace: str, **extra: Any) -> dict[str, Any]:
    return {"name": service.name, "namespace": namespace, "labels": labels(service), **extra}


def cpu_quantity(vcpu: float) -> str:
    return f"{round(vcpu * 1000)}m"


def memory_quantity(mib: int) -> str:
    return f"{mib}Mi"


def secret_name(service: Service) -> str:
    return f"{service.name}-secrets"


def namespace(name: str) -> dict[str, Any]:
    pss = {f"pod-security.kubernetes.io/{mode}": RESTRICTED for mode in ("enforce", "audit", "warn")}
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "shipyard", **pss}}}


def service_account(service: Service, ns: str) -> dict[str, Any]:
    # The workloads need no Kubernetes API access: no token is mounted.
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _metadata(service, ns),
            "automountServiceAccountToken": False}


def secret(service: Service, ns: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {**_metadata(service, ns), "name": secret_name(service)},
            "stringData": values}


def _probe(service: Service, initial_delay: int) -> dict[str, Any]:
    return {"httpGet": {"path": service.health_check_path, "port": PROBE_PORT, "scheme": "HTTP"},
            "initialDelaySeconds": initial_delay, "periodSeconds": 10, "timeoutSeconds": 5,
            "failureThreshold": 3, "successThreshold": 1}


def node_placement(architectures: Sequence[str]) -> dict[str, Any]:
    """Pod spec fields that keep pods on nodes of these architectures, by the label the kubelet
    puts on every node (kubernetes.io/arch, from Go's runtime.GOARCH: Kubernetes docs,
    "Well-Known Labels, Annotations and Taints"): a nodeSelector for one, a required node
    affinity `In` for several, nothing for none (any node)."""
    if not architectures:
        return {}
    if len(architectures) == 1:
        return {"nodeSelector": {ARCH_LABEL: architectures[0]}}
    term = {"matchExpressions": [{"key": ARCH_LABEL, "operator": "In",
                                  "values": list(architectures)}]}
    return {"affinity": {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}}


def deployment(service: Service, ns: str, image: Any, replicas: int,
               secret_versions: Any = None, architectures: Sequence[str] = ()) -> dict[str, Any]:
    """`secret_versions`: :func:`secret_versions_digest` of the service's secrets;
    `architectures`: the node architectures the pods are kept to (:func:`node_placement`)."""
    resources = {"cpu": cpu_quantity(service.cpu), "memory": memory_quantity(service.memory)}
    env = [{"name": k, "value": v} for k, v in sorted(service.env.items())]
    env += [{"name": k, "valueFrom": {"secretKeyRef": {"name": secret_name(service), "key": k}}}
            for k in sorted(service.secrets)]
    container = {
        "name": service.name, "image": image, "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": PROBE_PORT, "containerPort": service.port, "protocol": "TCP"}],
        "env": env,
        "resources": {"requests": resources, "limits": resources},
        "readinessProbe": _probe(service, 5),
        "livenessProbe": _probe(service, 15),
        "securityContext": {"allowPrivilegeEscalation": False, "privileged": False,
                            "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                            "runAsUser": RUN_AS_USER, "runAsGroup": RUN_AS_USER,
                            "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "volumeMounts": [{"name": "scratch", "mountPath": "/tmp"}],
    }
    pod = {
        "serviceAccountName": service.name,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": RUN_AS_USER,
                            "runAsGroup": RUN_AS_USER, "fsGroup": RUN_AS_USER,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": [{"name": "scratch", "emptyDir": {"sizeLimit": SCRATCH_SIZE}}],
        # Spread replicas over zones (and nodes) so one zone's loss leaves the service up.
        "topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": _selector(service)}}
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")],
        "terminationGracePeriodSeconds": 30,
        **node_placement(architectures),
    }
    template_metadata: dict[str, Any] = {"labels": labels(service)}
    if secret_versions is not None:
        template_metadata["annotations"] = {SECRET_VERSIONS_ANNOTATION: secret_versions}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _metadata(service, ns),
            "spec": {"replicas": replicas, "revisionHistoryLimit": 5,
                     "selector": {"matchLabels": _selector(service)},
                     "strategy": {"type": "RollingUpdate",
                                  "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
                     "template": {"metadata": template_metadata, "spec": pod}}}


def tls_annotations(certificate_arn: Any) -> dict[str, Any]:
    return {SSL_CERT_ANNOTATION: certificate_arn, SSL_PORTS_ANNOTATION: TLS_PORT,
            SSL_POLICY_ANNOTATION: TLS_POLICY}


def service(service: Service, ns: str,
            load_balancer_annotations: Optional[dict[str, Any]] = None,
            certificate_arn: Any = None) -> dict[str, Any]:
    """Private services answer at `http://<name>:<port>` in the namespace, as on ECS. Public
    ones listen on 80, or only on 443 (TLS at the load balancer) with a certificate: a network
    load balancer cannot redirect HTTP, so plain HTTP is not offered at all."""
    public = service.public
    metadata = _metadata(service, ns)
    annotations = dict(load_balancer_annotations or {}) if public else {}
    if certificate_arn is not None:
        annotations.update(tls_annotations(certificate_arn))
    if annotations:
        metadata["annotations"] = annotations
    if certificate_arn is not None:
        port = {"name": TLS_PORT, "port": 443, "targetPort": PROBE_PORT, "protocol": "TCP"}
    else:
        port = {"name": PROBE_PORT, "port": 80 if public else service.port,
                "targetPort": PROBE_PORT, "protocol": "TCP"}
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata,
            "spec": {"type": "LoadBalancer" if public else "ClusterIP",
                     "selector": _selector(service), "ports": [port]}}


def pod_disruption_budget(service: Service, ns: str) -> dict[str, Any]:
    # maxUnavailable (not minAvailable) so a single-replica service never blocks a node drain.
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": _metadata(service, ns),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": _selector(service)}}}


def horizontal_pod_autoscaler(service: Service, ns: str, bounds: ReplicaBounds,
                              scaling: Autoscaling) -> dict[str, Any]:
    metrics = [("cpu", scaling.target_cpu_percent), ("memory", scaling.target_memory_percent)]
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": _metadata(service, ns),
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                        "name": service.name},
                     "minReplicas": bounds.min, "maxReplicas": bounds.max,
                     "metrics": [{"type": "Resource", "resource": {
                         "name": name, "target": {"type": "Utilization", "averageUtilization": target}}}
                         for name, target in metrics if target is not None]}}


def network_policy(service: Service, ns: str, callers: list[str]) -> dict[str, Any]:
    """Inbound traffic only to the service port, and for a private service only from the pods
    of the services that call it (none: no inbound traffic at all); outbound is left open.

    A public service admits any source on its port: its load balancer's traffic reaches the
    pods from node and load balancer addresses, which no pod selector matches. Kubelet probes
    pass either way: "traffic to and from the node where a Pod is running is always allowed"
    (kubernetes.io/docs/concepts/services-networking/network-policies).
    """
    ports = [{"port": service.port, "protocol": "TCP"}]
    if service.public:
        ingress = [{"ports": ports}]
    elif callers:
        ingress = [{"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": name}}}
                             for name in callers],
                    "ports": ports}]
    else:
        ingress = []
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": _metadata(service, ns),
            "spec": {"podSelector": {"matchLabels": _selector(service)},
                     "policyTypes": ["Ingress"], "ingress": ingress}}
