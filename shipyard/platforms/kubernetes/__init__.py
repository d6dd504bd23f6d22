"""Any existing Kubernetes cluster (another cloud, on-premises), reached by kubeconfig."""

from shipyard.platforms.base import Picture, Platform

PLATFORM = Platform(
    name="kubernetes", title="Kubernetes", in_vpc=False,
    secrets_at_deploy=True,  # read through the stack's AWS provider into Kubernetes Secrets
    domains=False,           # no AWS load balancer or zone Shipyard controls
    autoscaling=True,
    log_groups=False,
    section="An existing Kubernetes cluster (any provider): set `kubeconfig` or `context`.",
    picture=Picture("#e9f6ec", "#3f8f55", "Kubernetes cluster"))
