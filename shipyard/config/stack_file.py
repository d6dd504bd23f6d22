"""Read `Pulumi.<stack>.yaml` strictly: any problem is one line naming the file and the key.

PyYAML alone turns a broken file into a traceback, and silently keeps the last of two equal keys,
so a repeated `shipyard:services:` would drop every service listed first. Here the file is
composed into nodes first (line numbers known), checked for duplicate and non-string keys, then
loaded. Shapes follow the Pulumi CLI: a mapping whose `config:` maps `<namespace>:<name>` keys
to values (pulumi/pulumi sdk/go/common/resource/config/key.go, `ParseKey`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Mapping, Optional

import yaml

from shipyard.config.load import NAMESPACE, ConfigError

_STRING = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


def _kind(value: Any) -> str:
    return {list: "a list", dict: "a mapping", str: "a string", bool: "a boolean",
            type(None): "empty"}.get(type(value), f"a {type(value).__name__}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _key_problems(node: yaml.Node, path: str) -> Iterator[str]:
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _key_problems(item, f"{path}[{index}]")
    elif isinstance(node, yaml.MappingNode):
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                continue
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STRING:
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "(complex)"
                yield (f"{path or 'top level'}: key '{shown}' on line {line} is not a string: "
                       f"quote it")
                continue
            key = key_node.value
            if key in lines:
                where = (f"twice on line {line}" if lines[key] == line
                         else f"lines {lines[key]} and {line}")
                yield (f"{_join(path, key)}: duplicate key ({where}); YAML would keep only the "
                       f"last: merge them")
            lines.setdefault(key, line)
            yield from _key_problems(value_node, _join(path, key))


def _syntax_problem(error: yaml.YAMLError, text: str) -> str:
    if isinstance(error, yaml.reader.ReaderError):
        line = text.count("\n", 0, error.position) + 1
        return (f"line {line}: character #x{error.character:04x} is not allowed in YAML "
                f"(is the file text?)")
    mark = getattr(error, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    hint = "; YAML indents with spaces, not tabs" if "\\t" in problem else ""
    return f"{where}{problem}" + (f" ({context})" if context else "") + f" (not valid YAML{hint})"


def load_config(path: Path, *, namespaced: bool = True) -> dict[str, Any]:
    """The `config:` mapping of the Pulumi YAML file at `path`, or :class:`ConfigError`.

    `namespaced`: stack files need `<namespace>:<name>` keys; the project file (Pulumi.yaml)
    may leave the namespace out (it defaults to the project's).
    """
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ConfigError([f"{path.name}: line {line}: byte 0x{data[error.start]:02x} is not "
                           f"UTF-8 (is the file text?)"]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        problems = [f"{path.name}: {p}" for p in _key_problems(node, "")] if node else []
        document = yaml.safe_load(text) if not problems else None
    except yaml.YAMLError as error:
        raise ConfigError([f"{path.name}: {_syntax_problem(error, text)}"]) from None
    if problems:
        raise ConfigError(problems)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ConfigError([f"{path.name}: must be a mapping (with a `config:` key), not "
                           f"{_kind(document)}"])
    config = document.get("config")
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ConfigError([f"{path.name}: config: must be a mapping of `<namespace>:<name>` keys "
                           f"to values, not {_kind(config)}"])
    if namespaced:
        unparsable = [key for key in config if key.count(":") != 1
                      and not (key.count(":") == 2 and key.split(":")[1] == "config")]
        if unparsable:
            raise ConfigError([
                f"{path.name}: config.{key}: not a Pulumi config key: keys take the form "
                f"`<namespace>:<name>`" + (f", e.g. '{NAMESPACE}:{key}'" if ":" not in key else "")
                for key in unparsable])
    return config


_AS_WRITTEN = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool"}


def _scalars(node: yaml.Node, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _scalars(item, f"{path}[{index}]")
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _STRING:
                yield from _scalars(value_node, _join(path, key_node.value))
    elif isinstance(node, yaml.ScalarNode) and node.tag in _AS_WRITTEN and node.style is None:
        yield path, node.value


def scalars_as_written(path: Path) -> dict[str, str]:
    """Each unquoted number or boolean under `config:` as the file writes it, by full key:
    `{'shipyard:eks.version': '1.30'}` where YAML reads the number 1.3 (for messages only:
    {} for a file that cannot be read)."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    config = next((value for key, value in node.value if isinstance(key, yaml.ScalarNode)
                   and key.value == "config"), None) if isinstance(node, yaml.MappingNode) else None
    if not isinstance(config, yaml.MappingNode):
        return {}
    found: dict[str, str] = {}
    for key_node, value_node in config.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _STRING:
            found.update(_scalars(value_node, key_node.value))
    return found


def secure_paths(config: Mapping[str, Any]) -> frozenset[str]:
    """The full key paths a stack's config writes as `secure:` ciphertext
    (`shipyard:nomad.keyPem` for `shipyard:nomad: {keyPem: {secure: ...}}`). Pulumi tells a
    program only which top-level keys hold a secret; this says which values within them."""
    found: set[str] = set()

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            if set(value) == {"secure"}:
                found.add(path)
            for key, item in value.items():
                walk(item, _join(path, str(key)))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    for key, value in config.items():
        walk(value, key)
    return frozenset(found)


def holds_secure(paths: frozenset[str], key: str) -> bool:
    """Whether config key `key` is, or holds, one of the `secure:` `paths` (what makes Pulumi
    mark the whole key secret)."""
    return key in paths or any(p.startswith((f"{key}.", f"{key}[")) for p in paths)


def secure_paths_as_written(path: Path) -> Optional[frozenset[str]]:
    """:func:`secure_paths` of a stack file, or None when it cannot be read."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    config = document.get("config") if isinstance(document, dict) else None
    return secure_paths(config) if isinstance(config, dict) else None
