"""Kubernetes Pod Security Standard `restricted`, on every workload's pod template.

Source: https://kubernetes.io/docs/concepts/security/pod-security-standards/ (the Baseline and
Restricted profiles; the namespace also enforces `restricted`, so a failing pod would be refused
at admission rather than at plan time).
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from shipyard.review.controls.base import (
    Control,
    Finding,
    Resource,
    get,
    items,
    of_type,
    verdict,
)

# Workload type -> path of its pod spec.
POD_SPECS = {
    "kubernetes:core/v1:Pod": "spec",
    "kubernetes:apps/v1:Deployment": "spec.template.spec",
    "kubernetes:apps/v1:StatefulSet": "spec.template.spec",
    "kubernetes:apps/v1:DaemonSet": "spec.template.spec",
    "kubernetes:apps/v1:ReplicaSet": "spec.template.spec",
    "kubernetes:batch/v1:Job": "spec.template.spec",
    "kubernetes:batch/v1:CronJob": "spec.jobTemplate.spec.template.spec",
}
ALLOWED_VOLUMES = ("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                   "persistentVolumeClaim", "projected", "secret")
SECCOMP_TYPES = ("RuntimeDefault", "Localhost")


def _container_problems(container: Mapping[str, Any], pod_context: Mapping[str, Any]) -> list[str]:
    context = container.get("securityContext") or {}
    problems = []
    if context.get("privileged") is True:
        problems.append("privileged")
    if context.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation is not false")
    capabilities = context.get("capabilities") or {}
    if "ALL" not in items(capabilities.get("drop")):
        problems.append("capabilities do not drop ALL")
    if set(items(capabilities.get("add"))) - {"NET_BIND_SERVICE"}:
        problems.append("adds capabilities beyond NET_BIND_SERVICE")
    if context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is not True:
        problems.append("runAsNonRoot is not true")
    if context.get("runAsUser", pod_context.get("runAsUser")) == 0:
        problems.append("runs as user 0")
    seccomp = get(context, "seccompProfile.type", get(pod_context, "seccompProfile.type"))
    if seccomp not in SECCOMP_TYPES:
        problems.append("seccompProfile is not RuntimeDefault or Localhost")
    if any(p.get("hostPort") for p in items(container.get("ports"))):
        problems.append("uses a hostPort")
    return [f"container {container.get('name')}: {p}" for p in problems]


def pod_problems(pod: Mapping[str, Any]) -> list[str]:
    problems = [f"{key} is true" for key in ("hostNetwork", "hostPID", "hostIPC")
                if pod.get(key) is True]
    for volume in items(pod.get("volumes")):
        kinds = [k for k in volume if k != "name"]
        if any(k not in ALLOWED_VOLUMES for k in kinds):
            problems.append(f"volume {volume.get('name')}: type {', '.join(kinds)} is not allowed")
    pod_context = pod.get("securityContext") or {}
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for container in items(pod.get(key)):
            problems.extend(_container_problems(container, pod_context))
    return problems


def restricted(resources: Sequence[Resource]) -> Iterator[Finding]:
    for workload in of_type(resources, *POD_SPECS):
        problems = pod_problems(get(workload.inputs, POD_SPECS[workload.type], {}))
        yield verdict(workload, not problems, "pod template meets `restricted`", "; ".join(problems))


CONTROLS = (
    Control("PSS.restricted", "Kubernetes workloads meet the Pod Security Standard `restricted`",
            restricted),
)
