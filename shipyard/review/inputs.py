"""Reading the inputs the offline engine records: secret values, and values at a dotted path.

Kept free of Pulumi and of the rest of Shipyard, so the controls, the lifecycle rules, the plan
views and the engine can all use it.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping, NamedTuple, Sequence


class Secret(NamedTuple):
    """A value the program marked secret (shown as `[secret]` in plans)."""

    value: Any

    def __repr__(self) -> str:
        return "[secret]"


def map_secrets(value: Any, on_secret: Callable[[Secret], Any]) -> Any:
    """`value` with each secret in it (in mappings and lists, at any depth) replaced by
    `on_secret(secret)`; tuples come back as lists, as JSON has them."""
    if isinstance(value, Secret):
        return on_secret(value)
    if isinstance(value, dict):
        return {k: map_secrets(v, on_secret) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [map_secrets(v, on_secret) for v in value]
    return value


def reveal(value: Any) -> Any:
    """`value` with its secrets unwrapped (for code that reads them, never prints them)."""
    return map_secrets(value, lambda secret: reveal(secret.value))


def masked(value: Any) -> Any:
    """`value` with each secret shown as `[secret]` (for plans people read)."""
    return map_secrets(value, lambda secret: "[secret]")


def lookup(value: Any, path: str, default: Any = None) -> Any:
    """`a.b.0.c` into nested mappings and sequences; `default` where the path ends early."""
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif (isinstance(value, Sequence) and not isinstance(value, (str, Secret)) and part.isdigit()
              and int(part) < len(value)):
            value = value[int(part)]
        else:
            return default
    return value


def json_document(value: Any) -> Any:
    """A string input holding a JSON object or array (an ECS task's `containerDefinitions`, an
    IAM policy, a Nomad jobspec), parsed, so a path can reach inside it as `pulumi preview
    --diff` renders it; anything else as it is."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
