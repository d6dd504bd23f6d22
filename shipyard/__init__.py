"""Shipyard: container platforms on AWS (ECS, EKS) and any Kubernetes cluster, one Pulumi stack per environment.

The package holds everything that is not a Pulumi component: the stack-config contract
(:mod:`shipyard.config`), pure helpers the components use, the offline mock engine and the CLI.
"""
