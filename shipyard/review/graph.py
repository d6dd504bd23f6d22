"""The architecture as a Graphviz picture.

Two views: `traffic` (the default) draws what a person asks of an architecture picture — where
requests enter, which load balancer routes them to which service, who calls whom — grouped by
network and platform, with a legend; `dependencies` draws every resource inside its component,
with Pulumi's dependencies as edges.
"""

from __future__ import annotations

import json
import shutil
import subprocess

from shipyard.platforms import PLATFORMS, resource_facts
from shipyard.review import traffic
from shipyard.review.engine import Plan, Resource

# Colours by graph class (each type's facts row names its class), so a prod graph reads at a
# glance; Shipyard's own components, which have no row, are drawn as "other".
FILL = {"network": "#e8f1fb", "serving": "#fdf0e0", "clusters": "#e9f6ec",
        "security": "#f6eaf4", "images": "#fff8d6", "other": "#eeeeee"}


def _id(urn: str) -> str:
    return json.dumps(urn)  # a quoted DOT identifier


def _label(resource: Resource) -> str:
    short_type = resource.type.split(":")[-1]
    return json.dumps(f"{short_type}\n{resource.name}")


def _fill(resource: Resource) -> str:
    row = resource_facts().get(resource.type)
    return json.dumps(FILL[row.graph_class if row else "other"])


def dependencies_dot(plan: Plan) -> str:
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
                                 f"fillcolor={_fill(resource)}];")
                emit(resource.urn, indent + "  ")
                lines.append(f"{indent}}}")
            else:
                lines.append(f"{indent}{_id(resource.urn)} [label={_label(resource)}, "
                             f"fillcolor={_fill(resource)}];")

    emit(None, "  ")
    nodes = {r.urn for r in plan.resources if r.custom or r.urn not in children}
    for resource in plan.resources:
        for dependency in resource.depends_on:
            if dependency in nodes and resource.urn in nodes:
                lines.append(f"  {_id(dependency)} -> {_id(resource.urn)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# The traffic view's palette: node fill by kind, box colours by group, edge style by flow.
LOAD_BALANCER_FILL = "#fbd9a6"
NODE_STYLE = {
    "internet": 'shape=ellipse, style=filled, fillcolor="#dde3ea", fontsize=12',
    "alb": f'shape=box, style="rounded,filled", fillcolor="{LOAD_BALANCER_FILL}"',
    "nlb": f'shape=box, style="rounded,filled", fillcolor="{LOAD_BALANCER_FILL}"',
    "service": 'shape=box, style="rounded,filled,bold", fillcolor="#ffffff"',
}
GROUP_COLOURS = {  # kind: (fill, border, legend text); a platform's box as its registry entry says
    "network": ("#f1f6fb", "#5b7fa6", "VPC (network)"),
    **{name: (p.picture.fill, p.picture.border, p.picture.legend) for name, p in PLATFORMS.items()},
}
FLOW_STYLE = {  # kind: (colour, more DOT edge attributes, legend sample, legend text)
    "ingress": ("#2b2b2b", "penwidth=1.8", "━━━━▶", "request from the internet: listener"),
    "route": ("#2f6db5", "penwidth=1.4", "━━━━▶", "load balancer forwards: rule → port"),
    "call": ("#b8461b", "style=dashed, penwidth=1.4", "╍╍╍╍▶",
             "service calls service: address"),
}


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a DOT string; \n is a centred line break


def traffic_dot(plan: Plan) -> str:
    architecture = traffic.of_plan(plan)
    lines = [f"digraph {_quote('shipyard-' + plan.stack)} {{",
             "  graph [rankdir=LR, fontname=Helvetica, fontsize=16, nodesep=0.35, ranksep=0.9, "
             f"labelloc=t, label={_quote(f'Shipyard stack {plan.stack}: traffic')}];",
             '  node [fontname=Helvetica, fontsize=11, margin="0.15,0.06"];',
             "  edge [fontname=Helvetica, fontsize=9, arrowsize=0.7];"]

    def emit(group: str | None, indent: str) -> None:
        for node in architecture.nodes:
            if node.group == group:
                lines.append(f"{indent}{_id(node.key)} [label={_quote(node.label)}, "
                             f"{NODE_STYLE[node.kind]}];")
        for sub in architecture.groups:
            if sub.parent == group:
                fill, border, _ = GROUP_COLOURS[sub.kind]
                dashed = ",dashed" if sub.kind == "network" else ""
                lines.append(f"{indent}subgraph {_id('cluster:' + sub.key)} {{")
                lines.append(f"{indent}  label={_quote(sub.label)}; fontsize=12; labeljust=l; "
                             f'style="rounded,filled{dashed}"; fillcolor="{fill}"; '
                             f'color="{border}";')
                emit(sub.key, indent + "  ")
                lines.append(f"{indent}}}")

    emit(None, "  ")
    for flow in architecture.flows:
        colour, attributes, _, _ = FLOW_STYLE[flow.kind]
        lines.append(f"  {_id(flow.source)} -> {_id(flow.target)} "
                     f'[label={_quote(flow.label)}, color="{colour}", {attributes}];')
    lines += _legend(architecture)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _legend(architecture: traffic.Architecture) -> list[str]:
    """A legend: a sample of each kind of arrow and box the picture draws, and what it means."""
    rows = []
    for kind, (colour, _, sample, meaning) in FLOW_STYLE.items():
        if any(f.kind == kind for f in architecture.flows):
            rows.append(f'<TR><TD><FONT COLOR="{colour}">{sample}</FONT></TD>'
                        f'<TD ALIGN="LEFT">{meaning}</TD></TR>')
    shown = {g.kind for g in architecture.groups}
    boxes = {text: (fill, border) for kind, (fill, border, text) in GROUP_COLOURS.items()
             if kind in shown}
    if any(n.kind in ("alb", "nlb") for n in architecture.nodes):
        boxes["load balancer: an entry point"] = (LOAD_BALANCER_FILL, "#000000")
    boxes["service: name, port, replicas"] = ("#ffffff", "#000000")
    for text, (fill, border) in boxes.items():
        rows.append(f'<TR><TD BGCOLOR="{fill}" COLOR="{border}" BORDER="1"> </TD>'
                    f'<TD ALIGN="LEFT">{text}</TD></TR>')
    return ['  subgraph "cluster:legend" {',
            '    label="Legend"; fontsize=12; labeljust=l; style=rounded; color="#999999";',
            '    "legend" [shape=plaintext, fontsize=9, label=<<TABLE BORDER="0" CELLSPACING="2" '
            f'CELLPADDING="2">{"".join(rows)}</TABLE>>];',
            "  }"]


VIEWS = {"traffic": traffic_dot, "dependencies": dependencies_dot}


def to_dot(plan: Plan, view: str = "traffic") -> str:
    return VIEWS[view](plan)


def render(dot_source: str, image_format: str) -> bytes:
    """Render DOT with Graphviz's `dot` (apt-get install graphviz / brew install graphviz)."""
    dot = shutil.which("dot")
    if dot is None:
        raise FileNotFoundError("Graphviz `dot` is not installed: install graphviz, or use --format dot")
    return subprocess.run([dot, f"-T{image_format}"], input=dot_source.encode(),
                          capture_output=True, check=True).stdout
