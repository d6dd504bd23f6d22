"""The AWS resources of a plan as Terraform configuration, so checkov's AWS checks (written for
Terraform) can scan what Shipyard would create.

pulumi-aws is generated from the Terraform AWS provider: its types map to Terraform resource
types, its camelCase inputs to snake_case arguments, and its pluralised list-of-object inputs to
repeated blocks of the singular name. Dependencies become `depends_on`, which is enough for
checkov's graph checks to connect resources (a load balancer and its WAF association).
"""

from __future__ import annotations

import json
import re
from typing import Any

from shipyard.review.controls import Resource

# Pulumi type -> Terraform type where the generic rule (aws_<module>_<resource>) does not hold.
TYPE_EXCEPTIONS = {"aws:lb/loadBalancer:LoadBalancer": "aws_lb"}
# Modules whose Terraform types carry no module prefix (aws_vpc, aws_subnet...).
UNPREFIXED_MODULES = ("ec2",)
# Arguments that are maps (attributes), not blocks.
MAP_ARGUMENTS = {"tags", "tags_all", "labels", "options"}
# Blocks whose Terraform name is itself plural.
PLURAL_BLOCKS = {"tag_specifications", "block_device_mappings", "network_interfaces", "ingress",
                 "egress"}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def terraform_type(pulumi_type: str) -> str:
    if pulumi_type in TYPE_EXCEPTIONS:
        return TYPE_EXCEPTIONS[pulumi_type]
    module, resource = pulumi_type.split(":")[1].split("/")[0], _snake(pulumi_type.split(":")[2])
    return f"aws_{resource}" if module in UNPREFIXED_MODULES else f"aws_{module}_{resource}"


def address(resource: Resource) -> str:
    return f"{terraform_type(resource.type)}.{re.sub(r'[^A-Za-z0-9_-]', '_', resource.name)}"


def _block_name(name: str) -> str:
    if name in PLURAL_BLOCKS:
        return name
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def _body(values: dict[str, Any], depth: int) -> list[str]:
    pad, lines = "  " * depth, []
    for key, value in values.items():
        name = _snake(key)
        if value is None:
            continue
        if isinstance(value, dict) and name not in MAP_ARGUMENTS:
            lines += [f"{pad}{name} {{", *_body(value, depth + 1), f"{pad}}}"]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                lines += [f"{pad}{_block_name(name)} {{", *_body(item, depth + 1), f"{pad}}}"]
        elif isinstance(value, dict):
            pairs = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in value.items())
            lines.append(f"{pad}{name} = {{ {pairs} }}")
        else:
            lines.append(f"{pad}{name} = {json.dumps(value)}")
    return lines


def to_terraform(resources: list[Resource]) -> str:
    aws = {r.urn: r for r in resources if r.type.startswith("aws:")}
    lines: list[str] = []
    for resource in aws.values():
        kind, name = address(resource).split(".")
        lines += [f'resource "{kind}" "{name}" {{', *_body(dict(resource.inputs), 1)]
        depends_on = [address(aws[urn]) for urn in resource.depends_on if urn in aws]
        if depends_on:
            lines.append(f"  depends_on = [{', '.join(depends_on)}]")
        lines += ["}", ""]
    return "\n".join(lines)
