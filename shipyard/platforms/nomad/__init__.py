"""HashiCorp Nomad: an existing cluster, each service a Nomad job (pulumi-nomad)."""

from shipyard.platforms.base import Picture, Platform

PLATFORM = Platform(
    name="nomad", title="HashiCorp Nomad", in_vpc=False,
    secrets_at_deploy=True,  # read through the stack's AWS provider into Nomad Variables
    domains=False,           # no AWS load balancer or zone Shipyard controls
    autoscaling=True,        # the group `scaling` block, acted on by the Nomad Autoscaler
    picture=Picture("#eef7f1", "#00a166", "Nomad cluster"))
