"""Shipyard: container platforms on AWS (ECS, EKS) and any Kubernetes cluster, one Pulumi stack per environment.

The package holds everything that is not a Pulumi component: the stack-config contract
(:mod:`shipyard.config`), pure helpers the components use, the offline mock engine and the CLI.
"""

from pathlib import Path

# The Pulumi project directory (Pulumi.yaml, __main__.py): where `pulumi up` runs the program,
# and what relative paths in the config (build contexts) are relative to.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def shipped_stacks(root: Path = PROJECT_ROOT) -> list[str]:
    """The stacks with a `Pulumi.<stack>.yaml` in `root`, sorted."""
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
