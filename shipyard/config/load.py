"""Turn a stack's raw `shipyard:` config into a validated :class:`StackConfig`, or a list of problems.

Every problem is one line naming the full key, e.g.
`shipyard:eks.nodeGroups[1].minSize: must be <= maxSize (3)`. The whole config is checked before
any resource exists; :class:`ConfigError` derives from `pulumi.RunError`, which the Pulumi CLI
prints without a Python traceback.
"""

from __future__ import annotations

import contextvars
import difflib
import json
import os
import typing
from pathlib import Path
from typing import Any, Mapping, Optional

import pulumi
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

from shipyard.aws.names import stack_name_problems
from shipyard.config.rules import cross_field_problems, stack_problems
from shipyard.config.schema import StackConfig

NAMESPACE = "shipyard"

# How each unquoted number or boolean was written in the stack file, by full key
# (`shipyard:eks.version` -> `1.30`), so a message can show the value as the user typed it:
# YAML reads `1.30` as the number 1.3. Set by whoever read the file (the offline engine, or
# :func:`from_pulumi` from the stack file beside the program); None: not known.
YAML_SCALARS: contextvars.ContextVar[Optional[Mapping[str, str]]] = contextvars.ContextVar(
    "YAML_SCALARS", default=None)
# The key paths the stack file writes as `secure:` values (stack_file.secure_paths), set the
# same way; None: not known.
SECURE_PATHS: contextvars.ContextVar[Optional[frozenset[str]]] = contextvars.ContextVar(
    "SECURE_PATHS", default=None)


class ConfigError(pulumi.RunError):
    """The stack config is invalid; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack config:\n  " + "\n  ".join(problems))


def key_path(loc: tuple[Any, ...]) -> str:
    """`('eks', 'nodeGroups', 1, 'minSize')` -> `shipyard:eks.nodeGroups[1].minSize`."""
    path = NAMESPACE + ":"
    for index, part in enumerate(loc):
        if part == "[key]":  # pydantic's marker for a map key that failed validation
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("" if index == 0 else ".") + str(part)
    return path


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The config model that holds the key at `loc` (to suggest its known keys)."""
    annotation: Any = StackConfig
    for part in loc:
        while typing.get_origin(annotation) in (list, typing.Union, typing.Optional, dict,
                                                typing.Annotated):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[-1] if typing.get_origin(annotation) is dict else args[0]
        if isinstance(part, int):
            continue
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        field = next((f for name, f in annotation.model_fields.items()
                      if part in (f.alias, name)), None)
        if field is None:
            return None
        annotation = field.annotation
    while typing.get_origin(annotation) in (list, typing.Union, typing.Optional):
        annotation = [a for a in typing.get_args(annotation) if a is not type(None)][0]
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _unknown_key_message(loc: tuple[Any, ...]) -> str:
    model = _model_at(loc[:-1])
    known = [f.alias or name for name, f in model.model_fields.items()] if model else []
    key = str(loc[-1])
    section, dot, rest = key.partition(".")
    if len(loc) == 1 and dot and section in known:
        # `pulumi config set shipyard:nomad.token` without --path stores a key named that.
        return (f"unknown key: '{rest}' of shipyard:{section} was set as a key of its own; set "
                f"it with `pulumi config set --path shipyard:{key} ...` (add --secret for a "
                f"secret) and remove this one (`pulumi config rm shipyard:{key}`)")
    if to_camel(key) in known and to_camel(key) != key:
        return f"unknown key; did you mean '{to_camel(key)}'? (keys are camelCase)"
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else (
        f"; known keys: {', '.join(known)}" if known else "")
    return f"unknown key{hint}"


def _not_a_string(loc: tuple[Any, ...], value: Any) -> str:
    """`tag: 1.4`: YAML read a number (or a boolean) where a string is expected; say to quote it."""
    written = (YAML_SCALARS.get() or {}).get(key_path(loc))
    if written is None:
        written = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if isinstance(value, bool):
        reads = f"YAML reads {written} as a boolean"
    elif written != str(value):
        reads = f"YAML reads {written} as the number {value}"
    else:
        reads = f"YAML reads {written} as a number"
    key = next((str(part) for part in reversed(loc) if not isinstance(part, int)
                and part != "[key]"), None) if not isinstance(loc[-1], int) else None
    quoted = f'{key}: "{written}"' if key else f'"{written}"'
    return f"{reads}, not a string: quote it: {quoted}"


def _message(error: dict[str, Any]) -> str:
    if error["type"] == "string_type" and isinstance(error["input"], (int, float)):
        return _not_a_string(error["loc"], error["input"])
    if error["type"] == "extra_forbidden":
        return _unknown_key_message(error["loc"])
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    if error["type"] == "missing":
        return "required"
    if error["type"] in ("model_type", "dict_type"):
        kind = {list: "a list", str: "a string", bool: "a boolean", int: "a number",
                float: "a number"}.get(type(error["input"]), "a value")
        return f"must be a mapping of keys to values, not {kind}"
    return error["msg"][0].lower() + error["msg"][1:]


def _decode(value: Any) -> Any:
    """Pulumi hands structured values to programs as JSON text; scalars stay strings."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def parse(raw: Mapping[str, Any], region: Optional[str] = None) -> StackConfig:
    """Validate `raw` (keys without the `shipyard:` prefix) or raise :class:`ConfigError`.

    `region` (the stack's `aws:region`) lets the rules check that ARNs are from that region.
    """
    data = {key: _decode(value) for key, value in raw.items()}
    try:
        config = StackConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError([f"{key_path(e['loc'])}: {_message(e)}"
                           for e in error.errors(include_url=False)]) from None
    problems = [f"{key_path(loc)}: {message}"
                for loc, message in cross_field_problems(config, region)]
    if problems:
        raise ConfigError(problems)
    return config


def namespace_problems(keys: list[str]) -> list[str]:
    """Config keys whose `<namespace>:` is a misspelling of `shipyard` (they would be ignored)."""
    problems = []
    for key in sorted(keys):
        namespace, _, name = key.partition(":")
        if namespace != NAMESPACE and difflib.get_close_matches(
                namespace.lower(), [NAMESPACE], n=1, cutoff=0.75):
            problems.append(f"{key}: unknown namespace '{namespace}' (its keys would be ignored); "
                            f"did you mean '{NAMESPACE}:{name}'?")
    return problems


def from_pulumi() -> StackConfig:
    """Read and validate the running stack's `shipyard:` config (as `pulumi up` passes it) and
    its stack name."""
    prefix = NAMESPACE + ":"
    everything = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    # The AWS provider's region: `aws:region`, else the environment the provider reads.
    region = (everything.get("aws:region") or os.environ.get("AWS_REGION")
              or os.environ.get("AWS_DEFAULT_REGION"))
    problems = stack_name_problems(pulumi.get_stack()) + namespace_problems(list(everything))
    token = secure_token = None
    if YAML_SCALARS.get() is None:  # under `pulumi up`: the stack file beside the program
        from shipyard.config.stack_file import (
            scalars_as_written,
            secure_paths_as_written,
        )
        stack_file = Path(f"Pulumi.{pulumi.get_stack()}.yaml")
        token = YAML_SCALARS.set(scalars_as_written(stack_file))
        secure_token = SECURE_PATHS.set(secure_paths_as_written(stack_file))
    try:
        config = parse({key[len(prefix):]: value for key, value in everything.items()
                        if key.startswith(prefix)}, region)
        problems += [f"{key_path(loc)}: {message}" for loc, message in stack_problems(
            config, f"{pulumi.get_project()}-{pulumi.get_stack()}", is_secret)]
    except ConfigError as error:
        raise ConfigError(problems + error.problems) from None
    finally:
        if token is not None:
            YAML_SCALARS.reset(token)
        if secure_token is not None:
            SECURE_PATHS.reset(secure_token)
    if problems:
        raise ConfigError(problems)
    return config


def is_secret(path: str) -> bool:
    """Whether the value at `path` under `shipyard:` (`nomad.keyPem`) is a Pulumi secret. Pulumi
    marks a whole top-level key secret once any value in it is; the stack file says which."""
    top = f"{NAMESPACE}:{path.split('.')[0]}"
    if not pulumi.runtime.config.is_config_secret(top):
        return False
    written = SECURE_PATHS.get()
    if written is None or top in written or f"{NAMESPACE}:{path}" in written:
        return True
    # Other values of the key are `secure:` in the file, so they are what made it secret; with
    # none, its secrecy came from elsewhere (an ESC environment) and Pulumi's marking stands.
    from shipyard.config.stack_file import holds_secure
    return not holds_secure(written, top)
