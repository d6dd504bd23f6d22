"""The offline engine: run the real `__main__.py` under Pulumi mocks with a stack's real config.

Used by the tests and by the CLI (`python -m shipyard plan`). It records every resource the
program registers (type, name, parent, inputs, options) and the stack outputs.

Flakiness: the SDK's `MockMonitor` rehydrates resource references found in inputs on executor
threads, whose futures then live on another event loop ("attached to a different loop",
pulumi/pulumi#6561) — it bites when resources are passed to remote components such as
pulumi_eks's. :class:`RecordingMonitor` does not advertise resource references, so resources
travel as URNs/ids and nothing is rehydrated. The cost: outputs typed as resources (e.g.
`eks.Cluster.eks_cluster`) read as None, so the program never depends on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import difflib
import gc
import json
import runpy
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, NamedTuple, Optional

import pulumi
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime import rpc, settings
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import resource_pb2, source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from shipyard import PROJECT_ROOT, shipped_stacks
from shipyard.aws.iam import secret_reference
from shipyard.config import ConfigError, StackConfig, parse
from shipyard.config.load import SECURE_PATHS, YAML_SCALARS
from shipyard.config.schema import secret_kind
from shipyard.config.stack_file import (
    holds_secure,
    load_config,
    scalars_as_written,
    secure_paths,
)
from shipyard.review.inputs import Secret
from shipyard.review.mock_values import kubeconfig
from shipyard.review.mocks import ShipyardMocks

PROJECT_NAME = "shipyard"
DEFAULT_REGION = "us-east-1"
# Stands in for `secure:` config values, which only the Pulumi CLI can decrypt.
OFFLINE_SECRET = "offline-placeholder-secret"
OFFLINE_KUBECONFIG = json.dumps(kubeconfig("offline", "https://kubernetes.example.invalid"))
# Stands in for secret PEM material (a Swarm's TLS key), which the config checks is PEM.
OFFLINE_PEM = "-----BEGIN OFFLINE PLACEHOLDER-----\noffline\n-----END OFFLINE PLACEHOLDER-----"


@dataclass(frozen=True)
class Resource:
    urn: str
    type: str
    name: str
    parent: Optional[str]
    custom: bool
    inputs: dict[str, Any]
    protect: bool = False
    aliases: tuple[str, ...] = ()
    ignore_changes: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    delete_before_replace: bool = False
    retain_on_delete: bool = False
    # input -> URNs of the resources its value comes from: replacing one of them changes it.
    input_sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # operation (create, update, delete) -> how long the provider may take, where set
    custom_timeouts: Mapping[str, str] = field(default_factory=dict)


class Invoke(NamedTuple):
    """A data-source read the program makes at preview and at up (e.g. a secret's value)."""

    token: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    stack: str
    resources: tuple[Resource, ...]
    outputs: dict[str, Any] = field(default_factory=dict)
    region: str = DEFAULT_REGION
    invokes: tuple[Invoke, ...] = ()

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: Optional[str] = None) -> Resource:
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {type_} named {name}, found {len(found)}")
        return found[0]

    def children(self, parent: Resource) -> list[Resource]:
        return [r for r in self.resources if r.parent == parent.urn]

    def by_urn(self, urn: str) -> Resource:
        return next(r for r in self.resources if r.urn == urn)


def _unwrap_secrets(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return Secret(_unwrap_secrets(rpc.unwrap_rpc_secret(value)))
    if isinstance(value, dict):
        return {k: _unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf carries every number as a double
    return value


class RecordingMonitor(MockMonitor):
    """A mock monitor that records registrations and never advertises resource references."""

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.recorded: list[Resource] = []
        self.invokes: list[Invoke] = []
        self._lock = threading.Lock()
        self._thread_loops: list[asyncio.AbstractEventLoop] = []

    def _thread_event_loop(self) -> None:
        """Give each executor thread making monitor calls an event loop of its own, made on its
        first call (one per call cost a selector and a socket pair per resource) and closed by
        :meth:`close_thread_loops` when the run ends."""
        if threading.current_thread() is threading.main_thread():
            return
        try:
            asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:  # none set on this thread yet
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            with self._lock:
                self._thread_loops.append(loop)

    def close_thread_loops(self) -> None:
        for loop in self._thread_loops:
            loop.close()
        self._thread_loops.clear()

    def SupportsFeature(self, request):
        supported = request.id not in ("outputValues", "resourceReferences")
        return type("SupportsFeatureResponse", (object,), {"hasSupport": supported})

    def GetDeploymentInfo(self, request):
        info = super().GetDeploymentInfo(request)
        return resource_pb2.DeploymentInfo(supportedFeatures=[
            f for f in info.supportedFeatures
            if f != resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES])

    def Invoke(self, request):
        self._thread_event_loop()
        invoke = Invoke(request.tok, _unwrap_secrets(rpc.deserialize_properties(request.args)))
        with self._lock:
            self.invokes.append(invoke)
        return super().Invoke(request)

    def ReadResource(self, request):
        self._thread_event_loop()
        return super().ReadResource(request)

    def RegisterResource(self, request):
        self._thread_event_loop()
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            parent = request.parent if "::pulumi:pulumi:Stack::" not in request.parent else None
            resource = Resource(
                urn=response.urn, type=request.type, name=request.name, parent=parent or None,
                custom=bool(request.custom),
                inputs=_unwrap_secrets(rpc.deserialize_properties(request.object)),
                protect=bool(request.protect),
                aliases=tuple(sorted(_alias(self, a, request) for a in request.aliases)),
                ignore_changes=tuple(request.ignoreChanges),
                depends_on=tuple(sorted(request.dependencies)),
                delete_before_replace=bool(request.deleteBeforeReplace),
                retain_on_delete=bool(request.retainOnDelete),
                input_sources={key: tuple(sorted(deps.urns))
                               for key, deps in sorted(request.propertyDependencies.items())
                               if deps.urns},
                custom_timeouts={operation: getattr(request.customTimeouts, operation)
                                 for operation in ("create", "update", "delete")
                                 if getattr(request.customTimeouts, operation)})
            with self._lock:
                self.recorded.append(resource)
        return response


def _alias(monitor: MockMonitor, alias, request) -> str:
    """The URN an alias names: given whole, or as parts (name, type, parent) that differ from the
    registration's own, made into a URN the way the monitor makes URNs."""
    if alias.urn:
        return alias.urn
    spec = alias.spec
    parent = "" if spec.noParent else (spec.parentUrn or request.parent)
    return monitor.make_urn(parent, spec.type or request.type, spec.name or request.name)


def _as_cli_value(value: Any) -> str:
    """What the Pulumi CLI hands a program: JSON for structured values, text for scalars."""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_PLACEHOLDERS = {"pem": OFFLINE_PEM, "kubeconfig": OFFLINE_KUBECONFIG}


def _replace_secure(key: str, value: Any, top: str) -> Any:
    """The config value with each `secure:` ciphertext replaced by a placeholder of the kind its
    key holds in the section `top` (shipyard.config.schema.secret_kind)."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            kind = secret_kind(top.split(":")[-1], key)
            return _PLACEHOLDERS.get(kind, OFFLINE_SECRET)
        return {k: _replace_secure(k, v, top) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secure(key, v, top) for v in value]
    return value


def stack_config(stack: str, root: Path = PROJECT_ROOT,
                 stack_file: Optional[Path] = None) -> dict[str, Any]:
    """The stack's config as `pulumi up` sees it: Pulumi.<stack>.yaml (or `stack_file`, e.g. an
    example under examples/) over the project's defaults."""
    merged: dict[str, Any] = {}
    if not (root / "Pulumi.yaml").is_file():
        raise FileNotFoundError(f"no Pulumi.yaml in {root}: give the Pulumi project directory "
                                f"(-C DIR)")
    for key, spec in load_config(root / "Pulumi.yaml", namespaced=False).items():
        value = spec.get("value", spec.get("default")) if isinstance(spec, dict) else spec
        if value is not None:
            merged[key if ":" in key else f"{PROJECT_NAME}:{key}"] = value
    merged.update(load_config(stack_file_path(stack, root, stack_file)))
    return merged


def stack_file_path(stack: str, root: Path = PROJECT_ROOT,
                    stack_file: Optional[Path] = None) -> Path:
    """The file holding the stack's config: `stack_file`, else Pulumi.<stack>.yaml in `root`.
    A missing one is a FileNotFoundError that names it and, for a stack name, the stacks that
    exist (the closest first)."""
    if stack_file is not None:
        if not stack_file.is_file():
            raise FileNotFoundError(f"--stack-file {stack_file}: no such file")
        return stack_file
    path = root / f"Pulumi.{stack}.yaml"
    if path.is_file():
        return path
    stacks = shipped_stacks(root)
    close = difflib.get_close_matches(stack, stacks, n=1)
    if not stacks:
        hint = "there are no Pulumi.<stack>.yaml files there (is it the project directory?)"
    elif close:
        hint = f"did you mean '{close[0]}'? (stacks: {', '.join(stacks)})"
    else:
        hint = f"the stacks are: {', '.join(stacks)}"
    raise FileNotFoundError(f"no stack file {path.name} in {root}; {hint}")


def stack_settings(stack: str, root: Path = PROJECT_ROOT,
                   stack_file: Optional[Path] = None) -> StackConfig:
    """The stack's validated `shipyard:` config, as the program reads it, without running it
    (raises :class:`shipyard.config.ConfigError`)."""
    raw = stack_config(stack, root, stack_file)
    prefix = f"{PROJECT_NAME}:"
    token = YAML_SCALARS.set(scalars_as_written(stack_file_path(stack, root, stack_file)))
    try:
        return parse({key[len(prefix):]: _replace_secure(key.split(":")[-1], value, key)
                      for key, value in raw.items() if key.startswith(prefix)},
                     raw.get("aws:region", DEFAULT_REGION))
    finally:
        YAML_SCALARS.reset(token)


def run(stack: str, config: Optional[Mapping[str, Any]] = None,
        root: Path = PROJECT_ROOT, stack_file: Optional[Path] = None) -> Plan:
    """Run `__main__.py` offline for `stack`, with `config` instead of its stack file if given.

    Raises :class:`shipyard.config.ConfigError` for invalid config (nothing is registered).
    """
    raw = dict(stack_config(stack, root, stack_file) if config is None else config)
    # How the file wrote its numbers, for messages (`version: 1.30` is read as 1.3).
    written = {} if config is not None else scalars_as_written(
        stack_file_path(stack, root, stack_file))
    secure = secure_paths(raw)
    values = {key: _as_cli_value(_replace_secure(key.split(":")[-1], value, key))
              for key, value in raw.items()}
    secret_keys = [key for key in raw if holds_secure(secure, key)]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    # A fresh context per run: the SDK keeps its settings, config and root stack in ContextVars.
    return contextvars.Context().run(_run, stack, values, sorted(secret_keys), root, written,
                                     secure)


def _run(stack: str, values: dict[str, str], secret_keys: list[str], root: Path,
         written: Mapping[str, str], secure: frozenset[str]) -> Plan:
    YAML_SCALARS.set(written)  # this run's own context: gone when it ends
    SECURE_PATHS.set(secure)
    # The program checks ARNs against the region it deploys to: make it the mocks' region, not
    # whatever AWS_REGION the machine running the plan happens to have.
    region = values.setdefault("aws:region", DEFAULT_REGION)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # Shut down with wait=True below (loop.close() would not wait): no monitor thread outlives
    # the run that started it.
    executor = ThreadPoolExecutor(thread_name_prefix="shipyard-mock-monitor")
    loop.set_default_executor(executor)
    mocks = ShipyardMocks(region, stack, PROJECT_NAME, _referenced_secret_keys(values))
    monitor = RecordingMonitor(mocks)
    try:
        pulumi.runtime.set_all_config(values, secret_keys)
        pulumi.runtime.set_mocks(mocks, project=PROJECT_NAME, stack=stack, preview=False,
                                 monitor=monitor)
        program = str(root / "__main__.py")
        try:
            with _offline_registration():
                _sync_await(run_pulumi_func(lambda: runpy.run_path(program, run_name="__main__")))
        except Exception as error:
            if isinstance(error, ConfigError):
                error.registered = tuple(monitor.recorded)  # lets tests prove nothing was created
            # The outputs that carried the error die later, each "never retrieved": the caller
            # gets the error itself, so keep their echoes quiet.
            loop.set_exception_handler(lambda _loop, _context: None)
            raise
        outputs = {name: _resolve(value) for name, value in
                   sorted(pulumi.runtime.settings.get_root_resource().outputs.items())}
    finally:
        _discard_unfinished_work(loop)
        executor.shutdown(wait=True)
        monitor.close_thread_loops()
        loop.close()
        asyncio.set_event_loop(None)
    resources = tuple(sorted(monitor.recorded, key=lambda r: r.urn))
    invokes = tuple(sorted(monitor.invokes, key=lambda i: (i.token, json.dumps(i.args, sort_keys=True,
                                                                                default=repr))))
    return Plan(stack=stack, resources=resources, outputs=outputs, region=region, invokes=invokes)


@contextlib.contextmanager
def _offline_registration() -> Iterator[None]:
    """Register resources without the work only a real deployment reads.

    - No cyclic garbage collection: nearly everything the run allocates (resources, outputs,
      futures, their tasks) lives until the plan is recorded, and each collection rescans all
      of it, so a plan's time grew faster than its resources (bench/run.py: 50 services took
      2.25x one service). Reference counting still frees what dies; the collector resumes, and
      finds the run's cycles, when the run ends.
    - No stack trace per resource: the SDK walks and reads the source of every frame of each
      registration (pulumi/runtime/resource.py `_get_stack_trace`, pulumi 3.272) for the CLI's
      source positions; the mock monitor drops them. It gets the SDK's own empty trace.
    """
    enabled = gc.isenabled()
    gc.disable()
    stack_trace = sdk_resource._get_stack_trace
    sdk_resource._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        sdk_resource._get_stack_trace = stack_trace
        if enabled:
            gc.enable()


def _discard_unfinished_work(loop: asyncio.AbstractEventLoop) -> None:
    """A program stopped by an error (in an apply, say) leaves output tasks behind, and the SDK
    keeps them in a set the next run would wait on, on this closed loop: cancel and forget them."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    with settings.SETTINGS.lock:
        settings.SETTINGS.outputs.clear()


def _referenced_secret_keys(values: Mapping[str, str]) -> dict[str, set[str]]:
    """Secret ARN -> the JSON keys services reference in it, so the mock secret holds them."""
    try:
        services = json.loads(values.get(f"{PROJECT_NAME}:services", "[]"))
    except json.JSONDecodeError:
        return {}
    keys: dict[str, set[str]] = {}
    for service in services if isinstance(services, list) else ():
        secrets = service.get("secrets") if isinstance(service, dict) else None
        for reference in (secrets.values() if isinstance(secrets, dict) else ()):
            if isinstance(reference, str) and reference.count(":") >= 2:
                arn, json_key = secret_reference(reference)
                if json_key:
                    keys.setdefault(arn, set()).add(json_key)
    return keys


def _resolve(value: Any) -> Any:
    output = pulumi.Output.from_input(value)
    resolved = _sync_await(output.future())
    return Secret(resolved) if _sync_await(output.is_secret()) else resolved
