"""The facts rows of the resource types only the Swarm platform registers (pulumi-docker 5.2,
bridged from terraform-provider-docker v4.5: internal/provider/resource_docker_<resource>.go;
swarmkit refuses two services, networks or secrets of one name). What a row holds:
shipyard/review/resource_facts.py."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Iterator, Sequence

from shipyard.review.cost import Line, Pricer
from shipyard.review.resource_facts import EVERY_INPUT, ResourceFacts

if TYPE_CHECKING:
    from shipyard.review.engine import Resource

DOCKER_TF = "terraform-provider-docker internal/provider/"


def _services(pricer: Pricer, services: Sequence[Resource]) -> Iterator[Line]:
    """One zero line, so the estimate says Swarm services cost nothing on AWS."""
    tasks = sum(s.inputs["mode"]["replicated"]["replicas"] for s in services)
    yield Line("Docker Swarm services", f"{len(services)} services, {tasks} tasks", Decimal(0),
               "on the Swarm's own nodes, which this stack neither creates nor prices: no AWS "
               "cost")

FACTS: dict[str, ResourceFacts] = {
    "pulumi:providers:docker": ResourceFacts(
        "other", key_settings=("host",),
        source="pulumi-docker: its registry auth changes with each ECR token, an update of the "
        "provider that every `pulumi up` shows (pulumi/pulumi-docker#952)"),
    "docker:index/service:Service": ResourceFacts(
        "serving", ("name", "auth", "taskSpec.networksAdvanceds", "taskSpec.containerSpec.hosts",
                    "taskSpec.containerSpec.sysctl"),
        unique_by=("name",), mock_id="hex25",
        key_settings=("name", "mode.replicated.replicas", "endpointSpec"), cost=_services,
        source=DOCKER_TF + "resource_docker_service.go at v4.5.0: ForceNew are name, auth, "
        "task_spec.container_spec.hosts and .sysctl, and every field of a "
        "task_spec.networks_advanced element (a set: terraform-plugin-sdk diffs each element, so "
        "any change of the networks, their ids or aliases replaces the service); `mode` is "
        "ForceNew only as a block count, which Shipyard never changes. The rest of the task "
        "spec, the replicas and the update settings update in place. Swarm refuses a second "
        "service of one name (swarmkit manager/controlapi/service.go, CreateService), so "
        "components/swarm/service.py replaces it delete-first"),
    "docker:index/network:Network": ResourceFacts(
        "network", (EVERY_INPUT,), mock_id="hex25", key_settings=("name", "driver"),
        source=DOCKER_TF + "resource_docker_network.go (every argument ForceNew). No unique_by: "
        "Shipyard's network names carry a digest of every other input "
        "(shipyard/platforms/swarm/service_spec.py network_inputs), so a replacement never has "
        "its predecessor's name"),
    "docker:index/secret:Secret": ResourceFacts(
        "security", (EVERY_INPUT,), mock_id="hex25", key_settings=("name",),
        source=DOCKER_TF + "resource_docker_secret.go (every argument ForceNew). No unique_by: "
        "Shipyard's secret names carry a digest of the value's version (service_spec.py "
        "secret_name), so a rotation's replacement has a new name"),
}
