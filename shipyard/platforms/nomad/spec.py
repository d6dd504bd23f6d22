"""`shipyard:nomad`: an existing Nomad cluster, by its HTTP API address."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, Optional

from pydantic import Field

from shipyard.aws.reachability import Api
from shipyard.config.types import (
    Autoscaling,
    Pem,
    PlatformSection,
    pattern_check,
)

if TYPE_CHECKING:
    from shipyard.config.schema import StackConfig

DEFAULT_NAMESPACE = "default"
# Every datacenter: what Nomad itself sets when a job names none (hashicorp/nomad v1.11.3
# nomad/structs/structs.go, Job.Canonicalize). Datacenter globs need Nomad 1.5.0 or newer
# (CHANGELOG.md 1.5.0: "the `datacenters` field now accepts wildcards", GH-11170).
DEFAULT_DATACENTERS = ("*",)

# Nomad's namespace names (nomad/structs/structs.go, validNamespaceName, at the commit
# shipyard/platforms/nomad/api_fields.py cites).
NamespaceName = Annotated[str, pattern_check(
    r"[a-zA-Z0-9-]{1,128}", "must be 1 to 128 letters, digits and '-' (Nomad namespace names)")]
Datacenter = Annotated[str, Field(min_length=1), pattern_check(
    r"[^\s]+", "must be a datacenter name or a glob such as dc-* (no spaces)")]
Address = Annotated[str, pattern_check(
    r"https?://[^\s/]+(:\d+)?/?", "must be the URL of a Nomad agent's HTTP API, e.g. "
    "https://nomad.example.com:4646")]
Tag = Annotated[str, Field(min_length=1), pattern_check(r"[^\s]+", "must contain no spaces")]


class Nomad(PlatformSection):
    enabled: bool = Field(False, description="Deploy the services to this Nomad cluster.")
    address: Optional[Address] = Field(None, description=(
        "HTTP API of a Nomad server or client agent. Default: the deployer's NOMAD_ADDR; with "
        "neither, `pulumi up` fails (the provider has no default address)."))
    region: Optional[Annotated[str, Field(min_length=1)]] = Field(None, description=(
        "Nomad region the jobs are registered in. Default: the agent's region."))
    namespace: NamespaceName = Field(DEFAULT_NAMESPACE, description=(
        "An existing Nomad namespace for the jobs and their Variables; give each stack its own "
        "when stacks share a cluster (job names are the service names)."))
    datacenters: list[Datacenter] = Field(list(DEFAULT_DATACENTERS), min_length=1, description=(
        "Datacenters the jobs may run in (globs allowed)."))
    token: Optional[Annotated[str, Field(min_length=1)]] = Field(None, description=(
        "ACL token `pulumi up` uses (a Pulumi secret: `pulumi config set --secret --path "
        "shipyard:nomad.token`). Default: the "
        "deployer's NOMAD_TOKEN."))
    ca_pem: Optional[Pem] = Field(None, description=(
        "PEM CA certificate that signed the agent's TLS certificate."))
    cert_pem: Optional[Pem] = Field(None, description=(
        "PEM client certificate for mutual TLS (with `keyPem`)."))
    key_pem: Optional[Pem] = Field(None, description=(
        "PEM key of `certPem` (a Pulumi secret: `pulumi config set --secret --path "
        "shipyard:nomad.keyPem < key.pem`)."))
    cpu_mhz_per_vcpu: Optional[int] = Field(None, ge=100, le=10000, description=(
        "MHz Nomad reserves per vCPU a service asks for: its `cpu` (MHz, a soft share of the "
        "client's cpu.totalcompute) is the service's vCPUs times this, rounded up. Required with "
        "services on Nomad: a vCPU has no fixed MHz, so the clients' clock speed "
        "(`nomad node status -verbose`: cpu.frequency) decides."))
    discovery: Literal["nomad", "consul"] = Field("nomad", description=(
        "Service discovery provider of the services' registrations: `nomad` (native, no Consul "
        "needed; http/tcp checks) or `consul` (the cluster's Consul)."))
    public_tags: list[Tag] = Field([], description=(
        "Tags added to public services' registrations, for an ingress that reads the catalog, "
        "`{name}` replaced by the service's name (e.g. `traefik.enable=true`, "
        "``traefik.http.routers.{name}.rule=Host(`{name}.example.com`)``). Public services also "
        "listen on a static host port equal to their `port` on each client they run on."))
    autoscaling: Autoscaling = Field(Autoscaling(), description=(
        "The job groups' `scaling` block (min/max), acted on by the Nomad Autoscaler, a separate "
        "agent; `pulumi up` keeps each existing job's count (preserve_counts), so a changed "
        "`replicas` or min/max does not change a running count: only the Autoscaler (or `nomad "
        "job scale`) does."))


    def cluster_api(self, config: StackConfig) -> Optional[Api]:
        """The Nomad cluster's HTTP API, which `pulumi up` registers the jobs through."""
        where = (f"shipyard:nomad.address, {self.address}" if self.address
                 else "the deployer's NOMAD_ADDR")
        return Api(f"the Nomad cluster's HTTP API ({where})", (), deploys="Nomad jobs")

Section = Nomad
