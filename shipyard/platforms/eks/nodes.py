"""Facts about EKS worker nodes: AMIs, how a self-managed node joins (nodeadm), service CIDRs.

Sources:
- EKS-optimized AMI ids are published as public SSM parameters
  `/aws/service/eks/optimized-ami/<k8s version>/amazon-linux-2023/<arch>/standard/recommended/image_id`
  (docs.aws.amazon.com/eks/latest/userguide/retrieve-ami-id.html; pulumi-eks reads the same ones,
  nodejs/eks/nodes/ami.ts).
- Amazon Linux 2023 nodes join with nodeadm, configured by a `NodeConfig` document in the user
  data (awslabs.github.io/amazon-eks-ami/nodeadm): cluster name, API endpoint, certificate
  authority and the Kubernetes service CIDR are required; kubelet flags register labels and taints,
  as pulumi-eks does (nodejs/eks/nodes/userdata.ts).
- Without an explicit service CIDR, EKS assigns 10.100.0.0/16 or 172.20.0.0/16 (CreateCluster
  `kubernetesNetworkConfig.serviceIpv4Cidr`): 172.20.0.0/16 when the VPC is in 10.0.0.0/8, the
  rule the EKS AMI's bootstrap.sh applies to find the cluster DNS address (awslabs/amazon-eks-ami,
  `DNS_CLUSTER_IP`). Shipyard states the same value explicitly so nodes can be told it, and so
  existing clusters see no change (the setting is fixed at creation).
"""

from __future__ import annotations

import base64
import ipaddress
import re
from typing import Literal, Mapping, Sequence, get_args

import yaml

from shipyard.aws.ami import is_graviton

MIME_BOUNDARY = "//SHIPYARD"
# Kubernetes taint effects, and how the EKS node group API spells each (its TaintEffect enum).
TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
MANAGED_TAINT_EFFECTS: dict[str, str] = {
    effect: re.sub(r"(?<!^)([A-Z])", r"_\1", effect).upper() for effect in get_args(TaintEffect)}
# Taints that keep pods without a matching toleration (CoreDNS, metrics-server) off a node.
BLOCKING_TAINT_EFFECTS: tuple[TaintEffect, ...] = ("NoSchedule", "NoExecute")
# Clusters without node groups run the system add-ons on Fargate, from these profiles
# (name -> selectors): CoreDNS by its `k8s-app: kube-dns` label (EKS docs, "Get started with
# Fargate"), and everything else in kube-system (metrics-server) by namespace, as eksctl's default
# Fargate profile does, so no add-on's pod labels need to be known.
FARGATE_SYSTEM_PROFILES: dict[str, list[dict]] = {
    "shipyard-coredns": [{"namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}}],
    "shipyard-kube-system": [{"namespace": "kube-system"}],
}
NODEADM_CONTENT_TYPE = "application/node.eks.aws"


def ami_architecture(instance_type: str) -> str:
    return "arm64" if is_graviton(instance_type) else "x86_64"


def managed_ami_type(instance_type: str) -> str:
    """The EKS managed node group `amiType` (CreateNodegroup's AMITypes enum)."""
    return "AL2023_ARM_64_STANDARD" if is_graviton(instance_type) else "AL2023_x86_64_STANDARD"


def self_managed_ami_parameter(kubernetes_version: str, instance_type: str) -> str:
    return (f"/aws/service/eks/optimized-ami/{kubernetes_version}/amazon-linux-2023/"
            f"{ami_architecture(instance_type)}/standard/recommended/image_id")


def service_cidr(vpc_cidr: str) -> str:
    """The service CIDR EKS would pick for a cluster in this VPC."""
    if ipaddress.IPv4Network(vpc_cidr).subnet_of(ipaddress.IPv4Network("10.0.0.0/8")):
        return "172.20.0.0/16"
    return "10.100.0.0/16"


def taint_flag(key: str, value: str, effect: str) -> str:
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"


def nodeadm_user_data(cluster_name: str, endpoint: str, certificate_authority: str,
                      cidr: str, labels: Mapping[str, str],
                      taints: Sequence[tuple[str, str, str]]) -> str:
    """Base64 user data: a MIME multi-part document holding nodeadm's NodeConfig."""
    spec: dict = {"cluster": {"name": cluster_name, "apiServerEndpoint": endpoint,
                              "certificateAuthority": certificate_authority, "cidr": cidr}}
    flags = []
    if labels:
        flags.append("--node-labels=" + ",".join(f"{k}={v}" for k, v in sorted(labels.items())))
    if taints:
        flags.append("--register-with-taints=" + ",".join(taint_flag(*t) for t in taints))
    if flags:
        spec["kubelet"] = {"flags": flags}
    node_config = yaml.safe_dump({"apiVersion": "node.eks.aws/v1alpha1", "kind": "NodeConfig",
                                  "spec": spec}, sort_keys=True)
    document = (f'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="{MIME_BOUNDARY}"\n\n'
                f"--{MIME_BOUNDARY}\nContent-Type: {NODEADM_CONTENT_TYPE}\n\n---\n{node_config}\n"
                f"--{MIME_BOUNDARY}--\n")
    return base64.b64encode(document.encode()).decode()
