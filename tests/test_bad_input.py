"""GIVEN an invalid Pulumi.<stack>.yaml WHEN `python -m shipyard plan` runs it THEN it exits 2 with
one line naming the file or the full key, prints no traceback and registers nothing.

The corpus lives in tests/bad_input/*.yaml: whole stack files, each with the exact line expected.
Cases too large to write out (a hundred services) are built in Python below.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from shipyard.cli import main
from shipyard.config import ConfigError, StackConfig, from_pulumi, rules
from shipyard.config.load import key_path
from shipyard.config.stack_file import load_config
from shipyard.platforms import PLATFORMS
from shipyard.review import docs, engine
from tests.conftest import PROJECT

BAD_INPUT = Path(__file__).parent / "bad_input"
CORPUS = [case for path in sorted(BAD_INPUT.glob("*.yaml"))
          for case in yaml.safe_load(path.read_text())]

SERVICE = {"name": "api", "image": "nginx:1.27"}
BUILT = [
    {"name": "101 public services on one ALB",
     "config": {"shipyard:ecs": {"enabled": True}, "shipyard:services": [
         {"name": f"svc{i}", "image": "nginx:1.27", "public": True, "path": f"/svc{i}/*"}
         for i in range(101)]},
     "error": "shipyard:services[100].public: 101 public ECS services, but one ALB takes at most "
              "100 listener rules and target groups (ELB quotas): make some services private or "
              "run them on EKS"},
    {"name": "95 public services and 6 domain redirects on one ALB",
     "config": {"shipyard:ecs": {"enabled": True}, "shipyard:dns": {"zone": "example.com"},
                "shipyard:services": [
         {"name": f"svc{i}", "image": "nginx:1.27", "public": True, "path": f"/svc{i}/*",
          **({"domain": f"svc{i}.example.com"} if i < 6 else {})} for i in range(95)]},
     "error": "shipyard:services[5].domain: 95 public ECS services and 6 HTTP-to-HTTPS "
              "redirects for their domains make 101 listener rules, but one ALB takes at most "
              "100 (ELB quotas): set shipyard:ecs.loadBalancer.certificateArn (then plain HTTP "
              "redirects with no rule per domain), make some services private or run them on "
              "EKS"},
]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A Pulumi project directory with this checkout's program and an empty slot for stack files."""
    root = tmp_path_factory.mktemp("project")
    for item in ("__main__.py", "Pulumi.yaml", "components", "shipyard"):
        os.symlink(PROJECT / item, root / item)
    return root


def plan(project: Path, text: str, monkeypatch, capsys) -> tuple[int, str, str, Any]:
    """Run `python -m shipyard plan case` on this stack file text; return the exit code, the
    output, the errors and the ConfigError the engine raised (None if it never ran)."""
    (project / "Pulumi.case.yaml").write_bytes(text.encode())
    raised: list[ConfigError] = []
    real_run = engine.run

    def recording_run(*args, **kwargs):
        try:
            return real_run(*args, **kwargs)
        except ConfigError as error:
            raised.append(error)
            raise

    monkeypatch.setattr(engine, "run", recording_run)
    code = main(["plan", "case", "-C", str(project)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err, raised[0] if raised else None


def _error_key(error: str) -> str:
    """`shipyard:services[3].env.X: ...` -> `shipyard:services[].env.X` (indices dropped)."""
    return re.sub(r"\[\d+\]", "[]", error.split(": ", 1)[0])


def test_the_corpus_covers_at_least_150_invalid_stack_files():
    assert len(CORPUS) + len(BUILT) >= 150
    assert len({case["name"] for case in CORPUS}) == len(CORPUS), "case names are unique"


def test_the_corpus_has_a_case_for_every_key():
    errors = [_error_key(case["error"]) for case in CORPUS + BUILT]
    keys = [row[0].strip("`") for row in docs.rows()]
    missing = [key for key in keys if not any(
        error == key or error.startswith((f"{key}.", f"{key}[")) for error in errors)]
    assert missing == []


def _every_rule() -> dict[str, tuple[Any, str]]:
    """Each cross-key rule, shared and every platform's, by name: (rule, its kind)."""
    hooks = [("", rules)] + [(f"{name}.", p.hook("rules")) for name, p in PLATFORMS.items()]
    return {f"{where}{rule.__name__}": (rule, kind) for where, module in hooks
            for kind in ("RULES", "REGIONAL_RULES", "STACK_RULES")
            for rule in getattr(module, kind, ())}


# Rules a stack file alone cannot trigger, each tested on its own: a backstop no config reaches
# (earlier rules refuse what it would), and one that reads the deployer's environment.
BACKSTOPS = {"nomad.nomad_registration",            # tests/test_nomad.py
             "swarm.swarm_deployer_environment"}    # tests/test_swarm.py


def test_the_corpus_has_a_case_for_every_rule():
    """Each cross-key rule, shared or a platform's, fed only its own corpus cases, reports the
    expected line."""
    every = _every_rule()
    covered = {name for case in CORPUS + BUILT for name, (rule, kind) in every.items()
               if _rule_reports(rule, kind, case)}
    assert covered == set(every) - BACKSTOPS


def _rule_reports(rule, kind: str, case: dict[str, Any]) -> bool:
    try:
        raw = case.get("config") or yaml.safe_load(case["stack"])["config"]
    except (yaml.YAMLError, TypeError, KeyError):
        return False  # a stack file problem, not a rule's
    if not isinstance(raw, dict) or any(not isinstance(k, str) for k in raw):
        return False
    shipyard = {k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith("shipyard:")}
    try:
        config = StackConfig.model_validate(shipyard)
    except (ValidationError, TypeError):
        return False
    found = {"RULES": lambda: rule(config), "REGIONAL_RULES": lambda: rule(config, "us-east-1"),
             "STACK_RULES": lambda: rule(config, "shipyard-case", lambda path: False)}[kind]()
    return any(f"{key_path(loc)}: {message}" == case["error"] for loc, message in found)


@pytest.mark.parametrize("case", CORPUS, ids=[case["name"] for case in CORPUS])
def test_invalid_stack_file_exits_2_naming_the_key(case, project, monkeypatch, capsys):
    code, out, err, error = plan(project, case["stack"], monkeypatch, capsys)
    assert code == 2
    assert err.splitlines()[0] == "case: invalid stack config"
    assert f"  {case['error']}" in err.splitlines(), err
    assert "Traceback" not in out + err and out == ""
    assert getattr(error, "registered", ()) == ()  # the program stopped before any resource


@pytest.mark.parametrize("case", BUILT, ids=[case["name"] for case in BUILT])
def test_invalid_generated_stack_file_exits_2_naming_the_key(case, project, monkeypatch, capsys):
    text = yaml.safe_dump({"config": {"aws:region": "us-east-1", **case["config"]}})
    code, out, err, error = plan(project, text, monkeypatch, capsys)
    assert code == 2
    assert f"  {case['error']}" in err.splitlines(), err
    assert "Traceback" not in out + err and error.registered == ()


def test_a_file_that_is_not_utf8_is_named_with_the_byte(tmp_path):
    (tmp_path / "Pulumi.bin.yaml").write_bytes(b"config:\n  shipyard:production: \xff\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "Pulumi.bin.yaml")
    assert caught.value.problems == ["Pulumi.bin.yaml: line 2: byte 0xff is not UTF-8 (is the file text?)"]


def test_an_empty_stack_file_is_an_empty_config(tmp_path):
    (tmp_path / "Pulumi.empty.yaml").write_text("# nothing yet\n")
    assert load_config(tmp_path / "Pulumi.empty.yaml") == {}


def test_only_the_project_file_may_leave_the_namespace_out(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: shipyard\nconfig:\n  production: {default: true}\n")
    assert load_config(tmp_path / "Pulumi.yaml", namespaced=False) == {"production": {"default": True}}
    with pytest.raises(ConfigError):
        load_config(tmp_path / "Pulumi.yaml")


def _from_pulumi_up(monkeypatch, config: dict[str, Any]):
    """Read the config the way the program does under a real `pulumi up`: the CLI hands it over
    in the PULUMI_CONFIG environment variable, structured values as JSON text."""
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(
        {key: json.dumps(value) if isinstance(value, (dict, list)) else value
         for key, value in config.items()}))
    return from_pulumi()


def test_under_pulumi_up_a_misspelled_namespace_is_reported_before_what_it_caused(monkeypatch):
    with pytest.raises(ConfigError) as caught:
        _from_pulumi_up(monkeypatch, {
            "aws:region": "us-east-1", "shipyrd:ecs": {"enabled": True},
            "shipyard:services": [{**SERVICE, "runOn": ["ecs"]}]})
    assert caught.value.problems == [
        "shipyrd:ecs: unknown namespace 'shipyrd' (its keys would be ignored); did you mean "
        "'shipyard:ecs'?",
        "shipyard:services[0].runOn[0]: 'ecs' is not enabled in this stack (enabled: none)"]


def test_under_pulumi_up_snake_case_keys_are_refused(monkeypatch):
    with pytest.raises(ConfigError) as caught:
        _from_pulumi_up(monkeypatch, {"shipyard:eks": {"enabled": True, "node_groups": []}})
    assert caught.value.problems[0] == (
        "shipyard:eks.node_groups: unknown key; did you mean 'nodeGroups'? (keys are camelCase)")


def test_under_pulumi_up_the_region_comes_from_aws_region_or_the_environment(monkeypatch):
    certificate = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c"
    config = {"shipyard:ecs": {"enabled": True, "loadBalancer": {"certificateArn": certificate}}}
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    with pytest.raises(ConfigError) as caught:
        _from_pulumi_up(monkeypatch, config)
    assert caught.value.problems == [
        "shipyard:ecs.loadBalancer.certificateArn: is in eu-west-1, but the stack deploys to "
        "us-west-2 (aws:region): an ALB takes ACM certificates from its own region"]
    assert _from_pulumi_up(monkeypatch, {**config, "aws:region": "eu-west-1"}).ecs.enabled


def test_other_namespaces_are_left_to_their_providers(monkeypatch):
    config = _from_pulumi_up(monkeypatch, {"aws:region": "us-east-1", "kubernetes:context": "x",
                                           "eks:foo": "bar", "pulumi:tags": {"a": "b"}})
    assert config.services == []


def test_offline_plans_check_arns_against_the_plans_region_not_the_machines(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c"
    plan = engine.run("regional", config={  # no aws:region: the offline plan assumes us-east-1
        "shipyard:ecs": {"enabled": True, "loadBalancer": {"certificateArn": certificate}},
        "shipyard:services": [{**SERVICE, "public": True}]})
    assert plan.region == "us-east-1"
    assert plan.one("aws:lb/listener:Listener", "shipyard-regional-https").inputs[
        "certificateArn"] == certificate


def test_under_pulumi_up_an_unquoted_number_is_shown_as_the_stack_file_writes_it(
        monkeypatch, tmp_path):
    """YAML (and so Pulumi) reads `version: 1.30` as 1.3: the message quotes what was written,
    read from the stack file beside the program, or the number itself where there is none."""
    import pulumi
    eks = {"enabled": True, "publicAccessCidrs": ["203.0.113.0/24"], "version": 1.3,
           "nodeGroups": [{"name": "a"}]}
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        _from_pulumi_up(monkeypatch, {"shipyard:eks": eks})
    assert caught.value.problems == [
        'shipyard:eks.version: YAML reads 1.3 as a number, not a string: quote it: version: "1.3"']
    (tmp_path / f"Pulumi.{pulumi.get_stack()}.yaml").write_text(
        "config:\n  shipyard:eks:\n    version: 1.30\n")
    with pytest.raises(ConfigError) as caught:
        _from_pulumi_up(monkeypatch, {"shipyard:eks": eks})
    assert caught.value.problems == [
        'shipyard:eks.version: YAML reads 1.30 as the number 1.3, not a string: quote it: '
        'version: "1.30"']
