"""The architecture as a Graphviz picture: components as clusters, resources inside them,
dependencies as edges."""

from __future__ import annotations

import json
import shutil
import subprocess

from shipyard.engine import Plan, Resource

# Colours by service family, so a prod graph reads at a glance.
FILL = {"ec2": "#e8f1fb", "vpc": "#e8f1fb", "ecs": "#fdf0e0", "lb": "#fdf0e0", "eks": "#e9f6ec",
        "kubernetes": "#e9f6ec", "iam": "#f6eaf4", "kms": "#f6eaf4", "acm": "#f6eaf4",
        "ecr": "#fff8d6", "route53": "#e8f1fb", "servicediscovery": "#fdf0e0",
        "docker-build": "#fff8d6"}


def _id(urn: str) -> str:
    return json.dumps(urn)  # a quoted DOT identifier


def _label(resource: Resource) -> str:
    short_type = resource.type.split(":")[-1]
    return json.dumps(f"{short_type}\n{resource.name}")


def _family(resource: Resource) -> str:
    package, module = resource.type.split(":")[:2]
    return package if package in ("eks", "kubernetes", "docker-build") else module.split("/")[0]


def to_dot(plan: Plan) -> str:
    children: dict[str | None, list[Resource]] = {}
    for resource in plan.resources:
        children.setdefault(resource.parent, []).append(resource)
    lines = [f"digraph {json.dumps('shipyard-' + plan.stack)} {{",
             "  graph [rankdir=LR, fontname=Helvetica, compound=true, "
             f"label={json.dumps(f'Shipyard stack {plan.stack}')}];",
             "  node [shape=box, style=\"rounded,filled\", fontname=Helvetica, fontsize=10];",
             "  edge [color=\"#7a7a7a\", arrowsize=0.6];"]

    def emit(parent: str | None, indent: str) -> None:
        for resource in sorted(children.get(parent, []), key=lambda r: (r.type, r.name)):
            if resource.urn in children:  # a component, or anything that has children
                lines.append(f"{indent}subgraph {_id('cluster:' + resource.urn)} {{")
                lines.append(f"{indent}  label={json.dumps(f'{resource.type}: {resource.name}')};")
                lines.append(f"{indent}  style=rounded; color=\"#555555\";")
                if resource.custom:
                    lines.append(f"{indent}  {_id(resource.urn)} [label={_label(resource)}, "
                                 f"fillcolor={json.dumps(FILL.get(_family(resource), '#eeeeee'))}];")
                emit(resource.urn, indent + "  ")
                lines.append(f"{indent}}}")
            else:
                lines.append(f"{indent}{_id(resource.urn)} [label={_label(resource)}, "
                             f"fillcolor={json.dumps(FILL.get(_family(resource), '#eeeeee'))}];")

    emit(None, "  ")
    nodes = {r.urn for r in plan.resources if r.custom or r.urn not in children}
    for resource in plan.resources:
        for dependency in resource.depends_on:
            if dependency in nodes and resource.urn in nodes:
                lines.append(f"  {_id(dependency)} -> {_id(resource.urn)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot_source: str, image_format: str) -> bytes:
    """Render DOT with Graphviz's `dot` (apt-get install graphviz / brew install graphviz)."""
    dot = shutil.which("dot")
    if dot is None:
        raise FileNotFoundError("Graphviz `dot` is not installed: install graphviz, or use --format dot")
    return subprocess.run([dot, f"-T{image_format}"], input=dot_source.encode(),
                          capture_output=True, check=True).stdout
