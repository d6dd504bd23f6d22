"""One row of facts per resource type Shipyard registers: everything the offline tools know of it.

A row (`ResourceFacts`) says, for one type token:
- lifecycle: which inputs replace it, which make it unique, what its delete loses, which updates
  have preconditions (`shipyard.review.lifecycle` holds plans to them, `shipyard.review.diff` marks
  replacements from them);
- plan: the inputs `plan` shows beside it (`key_settings`);
- mocks: the id, ARN and computed outputs the offline engine answers for it (`shipyard.review.mocks`);
- graph: its class in the dependencies picture (`shipyard.review.graph.FILL`);
- names: the rule AWS applies to its physical name (`shipyard.aws.names`), or NAMELESS;
- cost: the monthly cost lines of a plan's resources of the type (`shipyard.review.cost`), if any.

Where a row lives (the rule for adding one):
- a type registered by shared code (network, images, domains, logs, IAM, KMS, launch templates
  and Auto Scaling groups) lives once in `shipyard/review/shared_facts.py`;
- a type registered only by one platform's own components (`components/<name>...`, its
  `deploy`) lives in that platform's folder, `shipyard/platforms/<name>/facts.py`, as
  `FACTS: dict[str, ResourceFacts]` — even if another platform reuses those components (EKS
  deploys through the Kubernetes platform's workloads). A new platform adds rows only there.
`shipyard.platforms.resource_facts()` collects both; a type written twice is an error, and
tests/test_platforms.py fails, naming the platform and the type, when a type a platform's plan
registers has no row or its row lacks a member the program needs.

A row needs its graph class and the source of its lifecycle facts; an AWS type its name rule
(or NAMELESS); a type whose computed outputs the program reads, `outputs` (the mocks answer
nothing else but ids and ARNs); a type that costs money around the clock, `cost`. The other
members default to "nothing". For example, a platform's own type:

    FACTS = {
        "aws:ecs/cluster:Cluster": ResourceFacts(
            "serving", ("name",), unique_by=("name",), source=TF + "ecs/cluster.go",
            key_settings=("name", "settings"), mock_id="name", arn=("ecs", "cluster/{name}"),
            name_rule=NameRule("name", "region", 1, 255, r"[A-Za-z0-9_-]+", "ECS API ...")),
    }

Sources of the lifecycle facts. pulumi-aws is bridged from the Terraform AWS provider: an input
replaces its resource exactly when the provider schema marks it `ForceNew` (or
`RequiresReplace`), in github.com/hashicorp/terraform-provider-aws
internal/service/<service>/<resource>.go (read at commit 011a8eed). pulumi-kubernetes replaces an
object when `.metadata.name`/`.namespace` or a kind's immutable fields change
(pulumi/pulumi-kubernetes provider/pkg/provider/diff.go, `forceNew`), and deletes a named object
before creating its replacement itself (provider.go, Diff: "Delete before replacement if ... the
new version of that object MUST have the same name"). pulumi-eks components pass their inputs to
the aws.eks resources they create (pulumi/pulumi-eks nodejs/eks). Paths are top-level inputs, or
dotted paths into one (`spec.selector`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Iterable,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Union,
)

from shipyard.review.mock_values import MockCall

if TYPE_CHECKING:
    from shipyard.aws.names import FromBotocore, NameRule
    from shipyard.review.cost import Line, Pricer
    from shipyard.review.engine import Resource

EVERY_INPUT = "*"
TF = "terraform-provider-aws internal/service/"
K8S_DIFF = "pulumi-kubernetes provider/pkg/provider/diff.go forceNew; provider.go Diff"
# The type has no physical name of its own (ids, ARNs and Name tags only).
NAMELESS = "nameless"

MockOutputs = Union[Mapping[str, Any], Callable[[MockCall], Mapping[str, Any]]]
# The plan's resources of the type -> their cost lines (a Pricer knows the plan and prices).
CostLines = Callable[["Pricer", Sequence["Resource"]], Iterable["Line"]]


@dataclass(frozen=True)
class ResourceFacts:
    graph_class: str
    """Its family in the dependencies picture: a key of shipyard.review.graph.FILL."""
    replaced_by: tuple[str, ...] = ()
    """Inputs (or input paths) whose change replaces the resource; EVERY_INPUT: any change."""
    unique_by: tuple[str, ...] = ()
    """Inputs that identify it where it lives: two with equal values cannot exist at once."""
    holds: str = ""
    """What deleting it loses that others (other stacks, people) rely on; empty if nothing."""
    protected_by: str = ""
    """A boolean input that makes AWS itself refuse the delete (deletion protection)."""
    retain: bool = False
    """Delete must leave it in place in every stack (others run it), not only in production."""
    provider_deletes_first: bool = False
    """The provider replaces a fixed-name instance delete-first by itself."""
    update_requires: tuple[tuple[str, str], ...] = ()
    """(input, flag): setting `input` needs the boolean input `flag` true for updates to apply."""
    one_minor_step: tuple[str, ...] = ()
    """Version inputs an update may move by one minor version at most."""
    source: str = ""
    """Where the lifecycle facts come from (provider source, docs)."""
    key_settings: tuple[str, ...] = ()
    """The inputs (dotted paths) `plan` shows beside the resource; the rest are in `--json`."""
    id_prefix: str = ""
    """The prefix of the id AWS assigns (`vpc` for vpc-0a1b...); see mock_id otherwise."""
    mock_id: Literal["logical", "uuid", "name", "hex25"] = "logical"
    """Without id_prefix, the id the mocks answer: `<logical name>-id`, a UUID, its name, or 25
    hex characters (the length of a Docker Swarm object id)."""
    arn: Optional[tuple[str, str]] = None
    """(ARN service, resource path template over id, name, hex, family, uuid)."""
    outputs: Optional[MockOutputs] = None
    """Outputs the provider computes that the program reads, as the mocks answer them."""
    name_rule: Union[NameRule, FromBotocore, str, None] = None
    """The rule AWS applies to its physical name, or NAMELESS; None outside AWS."""
    cost: Optional[CostLines] = None
    """Its monthly cost lines; None when it costs nothing around the clock by itself."""

    def mock_outputs(self, call: MockCall) -> Mapping[str, Any]:
        if self.outputs is None:
            return {}
        return self.outputs(call) if callable(self.outputs) else self.outputs


def k8s(*immutable: str, holds: str = "", key_settings: tuple[str, ...] = (),
        outputs: Optional[MockOutputs] = None, cost: Optional[CostLines] = None) -> ResourceFacts:
    """A Kubernetes object's row: its name and namespace (and `immutable` fields) replace it."""
    return ResourceFacts("clusters", replaced_by=("metadata.name", "metadata.namespace", *immutable),
                         unique_by=("metadata.name", "metadata.namespace"), holds=holds,
                         provider_deletes_first=True, source=K8S_DIFF,
                         key_settings=key_settings, outputs=outputs, cost=cost)
