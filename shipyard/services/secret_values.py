"""Secret values read at deploy time (Kubernetes, Swarm and Nomad targets), with errors a user can
act on."""

from __future__ import annotations

import json
from typing import NamedTuple

import pulumi
import pulumi_aws as aws

from shipyard.aws.iam import secret_reference


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


class SecretRead(NamedTuple):
    value: pulumi.Output[str]    # a Pulumi secret: encrypted in the state, never printed
    version: pulumi.Output[str]  # the secret's version id, or the parameter's version number
    # (never a Pulumi secret)
    source: pulumi.Output[str]   # `<reference>@<version>`: what changes whenever the value may,
    # for what rolls the containers. A version alone does not: a new parameter starts at 1 too.


def read_secret(reference: str, where: str) -> SecretRead:
    """Read a Secrets Manager secret (or one JSON key of it) or an SSM parameter at deploy time."""
    arn, json_key = secret_reference(reference)
    if ":secretsmanager:" in arn:
        secret = aws.secretsmanager.get_secret_version_output(secret_id=arn)
        value, version = secret.secret_string, secret.version_id
        if json_key:
            value = value.apply(lambda text: json_field(text, json_key, where))
    else:
        parameter = aws.ssm.get_parameter_output(name=arn, with_decryption=True)
        value, version = parameter.value, parameter.version.apply(str)
    # The provider answers a sensitive field (the value) as a secret, and the SDK then marks the
    # invoke's whole result secret (pulumi 3 sdk/python pulumi/runtime/invoke.py: one
    # `is_secret` for the result), its version too. A version is no secret: unmarked, what it
    # feeds (a jobspec, an annotation, a Docker secret's name) stays readable in a diff.
    version = pulumi.Output.unsecret(version)
    return SecretRead(pulumi.Output.secret(value), version,
                      version.apply(lambda number: f"{reference}@{number}"))
