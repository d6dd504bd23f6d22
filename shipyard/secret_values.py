"""Secret values read at deploy time (Kubernetes targets), with errors a user can act on."""

from __future__ import annotations

import json

import pulumi


class SecretValueError(pulumi.RunError):
    """A referenced secret exists but lacks what the config asks for (printed without traceback)."""


def json_field(secret_string: str, key: str, where: str) -> str:
    """The value of `key` in a Secrets Manager secret holding a JSON object, as ECS reads it
    for `<secret-arn>:<json-key>::` references (numbers and booleans as their JSON text)."""
    try:
        document = json.loads(secret_string)
    except json.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise SecretValueError(f"{where}: the secret is not a JSON object, so it has no key "
                               f"'{key}': reference the whole secret (drop ':{key}::')")
    if key not in document:
        raise SecretValueError(f"{where}: the secret has no JSON key '{key}'")
    value = document[key]
    return value if isinstance(value, str) else json.dumps(value)
