"""Pure EKS node facts: AMIs, nodeadm user data, service CIDRs, principals (no mocks needed)."""

from __future__ import annotations

import base64

import pytest
import yaml

from shipyard.aws import iam
from shipyard.platforms.eks import nodes as eks_nodes


@pytest.mark.parametrize("instance_type, ami_type, architecture", [
    ("m6i.large", "AL2023_x86_64_STANDARD", "x86_64"),
    ("t3.medium", "AL2023_x86_64_STANDARD", "x86_64"),
    ("m7g.large", "AL2023_ARM_64_STANDARD", "arm64"),
    ("c7gn.xlarge", "AL2023_ARM_64_STANDARD", "arm64"),
    ("a1.large", "AL2023_ARM_64_STANDARD", "arm64"),    # first-generation Graviton: no "g"
    ("g5.xlarge", "AL2023_x86_64_STANDARD", "x86_64"),  # NVIDIA on x86: the "g" comes first
])
def test_ami_type_and_architecture_follow_the_instance_type(instance_type, ami_type, architecture):
    assert eks_nodes.managed_ami_type(instance_type) == ami_type
    assert eks_nodes.self_managed_ami_parameter("1.35", instance_type) == (
        f"/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/{architecture}/standard/"
        "recommended/image_id")


@pytest.mark.parametrize("vpc, expected", [("10.0.0.0/16", "172.20.0.0/16"),
                                           ("10.200.0.0/22", "172.20.0.0/16"),
                                           ("172.16.0.0/16", "10.100.0.0/16"),
                                           ("192.168.0.0/16", "10.100.0.0/16")])
def test_service_cidr_is_the_one_eks_picks(vpc, expected):
    assert eks_nodes.service_cidr(vpc) == expected


def _document(user_data: str) -> str:
    return base64.b64decode(user_data).decode()


def test_nodeadm_user_data_is_a_mime_document_with_a_node_config():
    text = _document(eks_nodes.nodeadm_user_data(
        "prod", "https://ABC.gr7.us-east-1.eks.amazonaws.com", "Q0E=", "172.20.0.0/16",
        {"b": "2", "a": "1"}, [("dedicated", "gpu", "NoSchedule"), ("spot", "", "PreferNoSchedule")]))
    assert text.startswith('MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="//SHIPYARD"')
    assert text.endswith("--//SHIPYARD--\n")
    body = text.split("Content-Type: application/node.eks.aws\n\n", 1)[1].split("\n--//SHIPYARD--")[0]
    config = yaml.safe_load(body)
    assert config == {"apiVersion": "node.eks.aws/v1alpha1", "kind": "NodeConfig", "spec": {
        "cluster": {"name": "prod", "apiServerEndpoint": "https://ABC.gr7.us-east-1.eks.amazonaws.com",
                    "certificateAuthority": "Q0E=", "cidr": "172.20.0.0/16"},
        "kubelet": {"flags": ["--node-labels=a=1,b=2",
                              "--register-with-taints=dedicated=gpu:NoSchedule,spot:PreferNoSchedule"]}}}


def test_nodes_without_labels_or_taints_get_no_kubelet_flags():
    text = _document(eks_nodes.nodeadm_user_data("dev", "https://x", "Q0E=", "10.100.0.0/16", {}, []))
    assert "kubelet" not in text


@pytest.mark.parametrize("arn, other, same", [
    ("arn:aws:iam::123456789012:role/deploy", "arn:aws:sts::123456789012:assumed-role/deploy/ci", True),
    ("arn:aws:iam::123456789012:role/team/deploy", "arn:aws:sts::123456789012:assumed-role/deploy/x", True),
    ("arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice", True),
    ("arn:aws:iam::123456789012:role/deploy", "arn:aws:sts::210987654321:assumed-role/deploy/ci", False),
    ("arn:aws:iam::123456789012:user/deploy", "arn:aws:sts::123456789012:assumed-role/deploy/ci", False),
    ("arn:aws:iam::123456789012:role/admins", "arn:aws:sts::123456789012:assumed-role/deploy/ci", False),
])
def test_a_role_and_its_sessions_are_the_same_principal(arn, other, same):
    assert iam.same_principal(arn, other) is same
