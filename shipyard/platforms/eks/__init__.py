"""Amazon EKS: a cluster Shipyard creates (pulumi-eks), the services as Kubernetes workloads."""

from shipyard.platforms.base import Picture, Platform

PLATFORM = Platform(
    name="eks", title="Amazon EKS", in_vpc=True,
    secrets_at_deploy=True,  # read through the stack's AWS provider into Kubernetes Secrets
    domains=True, autoscaling=True,
    log_groups=False,  # EKS creates its control-plane log group itself (/aws/eks/<cluster>/cluster)
    section="Amazon EKS.",
    picture=Picture("#e9f6ec", "#3f8f55", "Kubernetes cluster"))
