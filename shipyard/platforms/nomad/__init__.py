"""HashiCorp Nomad: an existing cluster, each service a Nomad job (pulumi-nomad)."""

from shipyard.platforms.base import Picture, Platform

PLATFORM = Platform(
    name="nomad", title="HashiCorp Nomad", in_vpc=False,
    secrets_at_deploy=True,  # read through the stack's AWS provider into Nomad Variables
    domains=False,           # no AWS load balancer or zone Shipyard controls
    autoscaling=True,        # the group `scaling` block, acted on by the Nomad Autoscaler
    log_groups=False,
    section="An existing HashiCorp Nomad cluster: each service a Nomad job (docs/nomad.md).",
    # The Autoscaler, `nomad job scale` and an auto-revert re-register a job, which moves its
    # JobModifyIndex (hashicorp/nomad v1.11.3 nomad/job_endpoint.go Job.Scale; nomad/state/
    # state_store.go upsertJobImpl). The provider's plan of a changed jobspec then stops with
    # "job modify index has changed since last refresh" (terraform-provider-nomad v2.6.1
    # nomad/resource_job.go resourceJobCustomizeDiff) until the state is refreshed. A refresh
    # reads the jobspec back from the job version's submission, which a scale copies
    # (state_store.go, upsertJobImpl: jobSubmission of the same version): no diff of its own.
    refresh_before_up=True,
    picture=Picture("#eef7f1", "#00a166", "Nomad cluster"))
