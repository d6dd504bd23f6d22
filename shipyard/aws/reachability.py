"""Where `pulumi up` must run: which networks must reach which Kubernetes API, from the config.

Shipyard deploys the services' Kubernetes objects in the same `pulumi up` that creates the EKS
cluster, so whatever runs `pulumi up` must reach the cluster's API server. When it cannot,
pulumi-kubernetes fails every create ("configured Kubernetes cluster is unreachable",
pulumi/pulumi-kubernetes provider/pkg/provider/provider.go `Create`, v4.32) once its client has
timed out on the silent network.

EKS endpoint access (EKS User Guide, "Cluster API server endpoint"): the public endpoint admits
the source addresses in `publicAccessCidrs` — a runner's address as the internet sees it, i.e.
its NAT gateway's. The private endpoint answers only inside the VPC and networks connected to it
(VPN, peering, transit gateway), through the cluster security group, where Shipyard admits
`privateAccessCidrs` on 443. A VPC Shipyard creates, and any connection to it, exists only once
the stack's first `pulumi up` has run.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shipyard.config.schema import StackConfig

ANYWHERE = "0.0.0.0/0"
# GitHub's standard hosted runners (GitHub Docs, "GitHub-hosted runners reference"): one label
# naming the image, e.g. ubuntu-24.04, windows-latest, macos-15. They get a different address on
# every job and no network of yours; larger runners with static addresses carry labels you choose.
_GITHUB_HOSTED = re.compile(r"(ubuntu|windows|macos)-(latest|\d[\w.-]*)")


@dataclass(frozen=True)
class Way:
    """One way into an API: the networks it admits, and whether they exist on the first up."""

    name: str
    public: bool
    key: str                   # the config key that lists the admitted networks
    cidrs: tuple[str, ...]
    on_first_up: bool          # false: the way exists only once the stack's VPC does


@dataclass(frozen=True)
class Api:
    name: str
    ways: tuple[Way, ...]      # empty: Shipyard cannot tell offline (an existing cluster)
    deploys: str = "Kubernetes objects"  # what `pulumi up` sends through it
    docs: str = ""             # where the platform's docs say how to reach it
    also: str = ""             # another way in the config could open, e.g. a public endpoint


@dataclass(frozen=True)
class Deployer:
    """The machine that runs `pulumi up`: `shipyard:deploy`, or the shipped CI's default."""

    runs_on: tuple[str, ...]
    egress: tuple[str, ...]    # public source addresses; empty: no fixed address
    private: tuple[str, ...]   # the private network it sits in
    bootstrapped: bool
    declared: bool

    @property
    def github_hosted(self) -> bool:
        return is_github_hosted(self.runs_on)

    @property
    def label(self) -> str:
        return ", ".join(self.runs_on)


def is_github_hosted(runs_on: tuple[str, ...] | list[str]) -> bool:
    return len(runs_on) == 1 and bool(_GITHUB_HOSTED.fullmatch(runs_on[0]))


def cluster_apis(config: StackConfig) -> list[Api]:
    """The cluster APIs (Kubernetes, Nomad) `pulumi up` deploys through, each with the ways
    into it: what each enabled platform's section answers (`cluster_api`)."""
    apis = (getattr(config, name).cluster_api(config) for name in config.enabled_platforms())
    return [api for api in apis if api is not None]


def deployer(config: StackConfig, runs_on: tuple[str, ...] | None = None) -> Deployer:
    """The stack's deployer; `runs_on` overrides its labels (a CI job's actual runner), which
    then has none of the declared runner's addresses."""
    deploy = config.deploy
    labels = tuple(runs_on or deploy.runs_on)
    own = labels == tuple(deploy.runs_on) and not is_github_hosted(labels)
    return Deployer(runs_on=labels, egress=tuple(deploy.egress_cidrs) if own else (),
                    private=tuple(deploy.private_cidrs) if own else (),
                    bootstrapped=deploy.bootstrapped,
                    declared="runs_on" in deploy.model_fields_set)


def _within(sources: tuple[str, ...], admitted: tuple[str, ...]) -> bool:
    networks = [ipaddress.IPv4Network(c) for c in admitted]
    return bool(sources) and all(
        any(ipaddress.IPv4Network(s).subnet_of(n) for n in networks) for s in sources)


def usable(way: Way, who: Deployer) -> bool:
    """Whether the way exists when `who` runs `pulumi up` (always, once bootstrapped)."""
    return way.on_first_up or who.bootstrapped


def refusal(way: Way, who: Deployer) -> str | None:
    """Why `way` does not let `who` in (None: it does)."""
    admitted = ", ".join(way.cidrs) or "nothing"
    if way.public:
        if not who.egress:
            if ANYWHERE in way.cidrs:
                return None
            return (f"the public endpoint admits {admitted} ({way.key}) and the runner has no "
                    f"fixed egress address (shipyard:deploy.egressCidrs)")
        if not _within(who.egress, way.cidrs):
            return (f"its egress {', '.join(who.egress)} is not in {way.key} ({admitted})")
        return None
    if not who.private:
        return (f"the private endpoint admits {admitted} ({way.key}) and the runner is in no "
                f"private network of yours (shipyard:deploy.privateCidrs)")
    if not _within(who.private, way.cidrs):
        return f"its network {', '.join(who.private)} is not in {way.key} ({admitted})"
    if not usable(way, who):
        return (f"its network {', '.join(who.private)} reaches the private endpoint only once "
                f"this stack's VPC exists, after the first `pulumi up` (then set "
                f"shipyard:deploy.bootstrapped)")
    return None


def refusals(api: Api, who: Deployer) -> str:
    """Why none of the ways into `api` lets `who` in, one reason per way."""
    return "; ".join(r for r in (refusal(way, who) for way in api.ways) if r)


def admission_advice(api: Api) -> str:
    """How to let a runner in: the key of each way into the API, then where the docs say more."""
    ways = " or ".join(f"its {'egress' if way.public else 'network'} in {way.key}"
                       for way in api.ways)
    admits = ([f"admit {ways}"] if ways else []) + ([api.also] if api.also else [])
    where = f" ({api.docs})" if api.docs else ""
    advice = f"{' or '.join(admits)}, or run on a runner that is{where}"
    return advice[0].upper() + advice[1:]


def reaches(api: Api, who: Deployer) -> bool | None:
    """Whether `who` reaches `api` (None: cannot be told offline)."""
    if not api.ways:
        return None
    return any(refusal(way, who) is None for way in api.ways)


def _runner(who: Deployer) -> str:
    if who.github_hosted:
        kind = "GitHub-hosted: no fixed address, no network of yours"
    else:
        kind = (f"egress {', '.join(who.egress) or 'not fixed'}; private network "
                f"{', '.join(who.private) or 'none'}")
    origin = "shipyard:deploy.runsOn" if who.declared else "default: shipyard:deploy.runsOn unset"
    return f"{who.label} ({kind}; {origin})"


def _way_line(way: Way) -> str:
    admitted = ", ".join(way.cidrs)
    if not admitted:
        return f"{way.name}: no network ({way.key} is empty)"
    if way.public:
        return f"{way.name}: from {admitted} ({way.key}), as the runner's egress address"
    where = "inside the VPC or a network connected to it"
    when = "" if way.on_first_up else (
        ", once the stack's VPC exists (not on its first `pulumi up`)")
    return f"{way.name}: from {admitted} ({way.key}), {where}{when}"


def describe(config: StackConfig) -> list[str]:
    """What `plan` and `check` say about where `pulumi up` must run."""
    who = deployer(config)
    apis = cluster_apis(config)
    lines = ["Where `pulumi up` runs:"]
    if not apis:
        lines.append("  anywhere with the stack's AWS credentials (it calls AWS's public APIs and "
                     f"no Kubernetes API): runner {_runner(who)}")
        return lines
    for api in apis:
        lines.append(f"  it deploys {api.deploys} through {api.name}, reachable by")
        lines += [f"    {_way_line(way)}" for way in api.ways] or [
            "    whatever network reaches that server: Shipyard cannot check it offline"]
        verdict = reaches(api, who)
        if verdict is None:
            lines.append(f"  runner {_runner(who)}: must reach that server")
        elif verdict:
            way = next(w for w in api.ways if refusal(w, who) is None)
            lines.append(f"  runner {_runner(who)}: reaches it through the {way.name}")
        else:
            lines.append(f"  runner {_runner(who)}: CANNOT reach it: {refusals(api, who)}")
    return lines
