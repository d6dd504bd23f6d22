"""The CI roles' policies (`python -m shipyard ci-policy preview|deploy <stack>`): derived from
each stack's plan, they grant what its `pulumi preview` and `pulumi up` call — the secret
values Kubernetes targets read, on exactly those ARNs — and pass parliament's lint."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re

import botocore.session
import pytest
from parliament import analyze_policy_string

from shipyard.aws.iam import secret_reference
from shipyard.cli import main
from shipyard.config.load import parse
from shipyard.review import ci_policy, engine
from tests.conftest import PROJECT, SHIPPED_STACKS, run_shipyard

ACCOUNT = "210987654321"   # not the offline engine's account: ARNs must follow --account
STACKS = [(stack, None) for stack in SHIPPED_STACKS] + [
    (path.name.split(".")[1], path) for path in sorted(PROJECT.glob("examples/*/Pulumi.*.yaml"))]
IDS = [stack if path is None else f"{path.parent.name}.{stack}" for stack, path in STACKS]


@pytest.fixture(scope="module", params=STACKS, ids=IDS)
def stack(request):
    """(plan, config) of a shipped stack or an example."""
    name, path = request.param
    raw = engine.stack_config(name, stack_file=path)
    config = parse({key.split(":", 1)[1]: value for key, value in raw.items()
                    if key.startswith("shipyard:")}, raw.get("aws:region"))
    return engine.run(name, stack_file=path), config


def statements(documents: dict) -> list[dict]:
    return [s for document in documents.values() for s in document["Statement"]]


def granted(documents: dict, action: str) -> set[str]:
    """The resources the documents grant `action` on."""
    resources = set()
    for statement in statements(documents):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if action in actions:
            resource = statement["Resource"]
            resources |= set(resource if isinstance(resource, list) else [resource])
    return resources


def kubernetes_secrets(config) -> set[str]:
    """The secrets of the services on Kubernetes targets, which the program reads at preview."""
    return {secret_reference(reference)[0]
            for platform in ("eks", "kubernetes") for service in config.services_on(platform)
            for reference in service.secrets.values()}


def findings(document: dict) -> list[tuple[str, str]]:
    return [(f.issue, str(f.detail)) for f in analyze_policy_string(json.dumps(document)).findings]


# --- finding 8: the preview role can read what previews read ---------------------------------

def test_preview_reads_exactly_the_secrets_kubernetes_targets_read(stack):
    plan, config = stack
    documents = ci_policy.policies(plan, "preview", ACCOUNT)
    expected = kubernetes_secrets(config)
    assert granted(documents, "secretsmanager:GetSecretValue") == {
        arn for arn in expected if ":secretsmanager:" in arn}
    assert granted(documents, "ssm:GetParameter") == {arn for arn in expected if ":ssm:" in arn}
    for statement in statements(documents):
        if statement["Action"] == "kms:Decrypt":
            # Only through Secrets Manager or Parameter Store, for these secrets only.
            [service] = statement["Condition"]["StringEquals"]["kms:ViaService"]
            context = next(v for k, v in statement["Condition"]["StringEquals"].items()
                           if k.startswith("kms:EncryptionContext:"))
            assert service.split(".")[0] in ("secretsmanager", "ssm")
            assert set(context) <= expected


def test_the_shipped_kubernetes_stacks_read_secrets_and_ecs_only_dev_does_not(stack_plan):
    """staging's api runs on EKS, prod's on ECS and EKS: both read their secrets at preview.
    dev's api runs on ECS only, whose tasks read the secret at start with their execution
    role: the CI roles never see it."""
    preview = {name: ci_policy.policies(stack_plan(name), "preview", ACCOUNT)
               for name in ("dev", "staging", "prod")}
    assert granted(preview["staging"], "secretsmanager:GetSecretValue") == {
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:staging/shop/database-url-AbCdEf"}
    assert granted(preview["prod"], "secretsmanager:GetSecretValue") == {
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/shop/database-url-AbCdEf"}
    assert granted(preview["prod"], "ssm:GetParameter") == {
        "arn:aws:ssm:us-east-1:123456789012:parameter/prod/shop/stripe-key"}
    assert granted(preview["prod"], "kms:Decrypt") == {"arn:aws:kms:us-east-1:123456789012:key/*"}
    assert granted(preview["dev"], "secretsmanager:GetSecretValue") == set()
    # dev builds api at preview: BuildKit exports its cache to the repository then.
    assert granted(preview["dev"], "ecr:PutImage") == {
        f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/shop/api"}


def test_a_parameter_of_another_account_is_decrypted_with_that_accounts_keys_only():
    reference = "arn:aws:ssm:us-east-1:999999999999:parameter/shared/token"
    plan = run_shipyard({"kubernetes": {"kubeconfig": engine.OFFLINE_KUBECONFIG},
                         "services": [{"name": "api", "image": "nginx:1.27",
                                       "secrets": {"TOKEN": reference}}]})
    documents = ci_policy.policies(plan, "preview", ACCOUNT)
    assert granted(documents, "ssm:GetParameter") == {reference}
    [decrypt] = [s for s in statements(documents) if s["Action"] == "kms:Decrypt"]
    assert decrypt["Resource"] == ["arn:aws:kms:us-east-1:999999999999:key/*"]
    assert decrypt["Condition"]["StringEquals"] == {
        "kms:ViaService": ["ssm.us-east-1.amazonaws.com"],
        "kms:EncryptionContext:PARAMETER_ARN": [reference]}


def test_deploy_includes_everything_preview_grants(stack):
    plan, _ = stack
    preview = statements(ci_policy.policies(plan, "preview", ACCOUNT))
    deploy = statements(ci_policy.policies(plan, "deploy", ACCOUNT))
    assert all(statement in deploy for statement in preview)


# --- deploy: every resource type's writes ------------------------------------------------------

def test_every_type_in_the_plan_has_a_row_and_its_actions_are_granted(stack):
    plan, _ = stack
    documents = ci_policy.policies(plan, "deploy", ACCOUNT)
    everything = {a for s in statements(documents)
                  for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    for type_ in {r.type for r in plan.resources}:
        for row in ci_policy.rows(type_):           # raises for a type without a row
            assert set(row.actions) <= everything, type_
            for service in row.service_linked_roles:
                assert service in json.dumps(documents)


def test_a_type_without_a_row_is_an_error():
    with pytest.raises(ci_policy.UnknownType, match="aws:rds/instance:Instance"):
        ci_policy.rows("aws:rds/instance:Instance")
    with pytest.raises(ci_policy.UnknownType, match="aws:rds/getInstance"):
        ci_policy.secret_reads([engine.Invoke("aws:rds/getInstance:getInstance", {})])


def _constructed_types() -> set[str]:
    """The type token of every provider resource class a component or the program constructs."""
    # (Kubernetes and Docker Swarm objects go to their own APIs: ci_policy.NO_AWS_CALLS.)
    modules = {"aws": "pulumi_aws", "eks": "pulumi_eks", "docker_build": "pulumi_docker_build"}
    types = set()
    for path in [*PROJECT.glob("components/**/*.py"), PROJECT / "__main__.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            parts, value = [node.func.attr], node.func.value
            while isinstance(value, ast.Attribute):
                parts.insert(0, value.attr)
                value = value.value
            if not (isinstance(value, ast.Name) and value.id in modules and parts[-1][:1].isupper()):
                continue
            target = importlib.import_module(modules[value.id])
            for part in parts:
                target = getattr(target, part)
            if inspect.isclass(target) and hasattr(target, "_internal_init"):
                token = re.search(r"__init__\(\s*'([^']+)'", inspect.getsource(target._internal_init))
                types.add(token.group(1))
    return types


def test_every_resource_class_the_program_constructs_has_a_row():
    """Plans of other configs (EC2 capacity, Fargate profiles, VPC endpoints...) are covered too."""
    types = _constructed_types()
    assert {"aws:ec2/vpc:Vpc", "eks:index:Cluster", "docker-build:index:Index",
            "aws:ecs/capacityProvider:CapacityProvider"} <= types
    missing = sorted(t for t in types if t not in ci_policy.DEPLOY_ACTIONS)
    assert missing == []


# IAM prefix -> botocore model, and S3 permissions named otherwise than their operation (Amazon
# S3 API Reference, each operation's "Permissions").
BOTOCORE_MODELS = {"elasticloadbalancing": "elbv2"}
S3_PERMISSIONS = {"s3:PutBucketPublicAccessBlock": "PutPublicAccessBlock",
                  "s3:PutEncryptionConfiguration": "PutBucketEncryption",
                  "s3:PutLifecycleConfiguration": "PutBucketLifecycleConfiguration"}
# Permissions another operation checks, with no operation of their own ("permission only" in
# the Service Authorization Reference); parliament still knows them.
PERMISSION_ONLY = {"elasticloadbalancing:SetWebACL"}   # checked by wafv2:AssociateWebACL


def test_every_action_is_an_operation_of_its_services_botocore_model():
    session = botocore.session.get_session()
    actions = {a for entry in ci_policy.DEPLOY_ACTIONS.values()
               for row in ((entry,) if isinstance(entry, ci_policy.Row) else entry)
               for a in row.actions}
    unknown = []
    for action in sorted(actions):
        prefix, name = action.split(":")
        operations = session.get_service_model(BOTOCORE_MODELS.get(prefix, prefix)).operation_names
        if action not in PERMISSION_ONLY and S3_PERMISSIONS.get(action, name) not in operations:
            unknown.append(action)
    assert unknown == []


# --- lint and size ------------------------------------------------------------------------------

def test_preview_policies_lint_clean_with_parliament(stack):
    plan, _ = stack
    for name, document in ci_policy.policies(plan, "preview", ACCOUNT).items():
        assert findings(document) == [], name


def test_deploy_policies_lint_clean_with_parliament(stack):
    """One finding is inherent: managing the access-log bucket's policy (s3:PutBucketPolicy)
    could let the role grant itself its objects. It is scoped to this stack's bucket."""
    plan, _ = stack
    buckets = [f"arn:aws:s3:::{r.name}-*" for r in plan.of_type("aws:s3/bucket:Bucket")]
    for name, document in ci_policy.policies(plan, "deploy", ACCOUNT).items():
        for issue, detail in findings(document):
            assert issue == "RESOURCE_POLICY_PRIVILEGE_ESCALATION", (name, issue, detail)
            assert any(f"on {bucket} " in detail for bucket in buckets), detail


def test_each_document_fits_a_managed_policy(stack):
    plan, _ = stack
    for role in ("preview", "deploy"):
        for name, document in ci_policy.policies(plan, role, ACCOUNT).items():
            assert len(re.sub(r"\s", "", json.dumps(document))) <= ci_policy.MANAGED_POLICY_MAX_CHARS
            sids = [s["Sid"] for s in document["Statement"]]
            assert len(sids) == len(set(sids)), name


def test_large_statement_lists_split_into_numbered_documents():
    statement = {"Sid": "S", "Effect": "Allow", "Action": "s3:GetObject",
                 "Resource": [f"arn:aws:s3:::bucket-{i:04}/*" for i in range(200)]}
    numbered = [{**statement, "Sid": f"S{i}"} for i in range(3)]
    documents = ci_policy.documents("p", numbered)
    assert list(documents) == ["p-1", "p-2", "p-3"]
    assert ci_policy.documents("p", numbered[:1]).keys() == {"p"}
    assert ci_policy.documents("p", []) == {}


# --- scoping ------------------------------------------------------------------------------------

def test_iam_writes_and_pass_role_reach_only_this_stacks_roles(stack_plan):
    plan = stack_plan("prod")
    documents = ci_policy.policies(plan, "deploy", ACCOUNT)
    roles = {f"arn:aws:iam::{ACCOUNT}:role/{r.name}-*" for r in plan.of_type("aws:iam/role:Role")}
    roles.add(f"arn:aws:iam::{ACCOUNT}:role/shipyard-prod-eksRole-role-*")   # pulumi-eks's
    for action in ("iam:PassRole", "iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"):
        assert granted(documents, action) == roles, action
    assert granted(documents, "iam:CreateServiceLinkedRole") == {
        f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/*"}


def test_writes_stay_in_the_stacks_region(stack_plan):
    documents = ci_policy.policies(stack_plan("prod"), "deploy", ACCOUNT)
    for statement in statements(documents):
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [
            statement["Resource"]]
        for resource in resources:
            if resource != "*":
                region = resource.split(":")[3]
                assert region in ("", "us-east-1"), resource
        if resources == ["*"]:   # only what AWS authorises on "*" alone
            actions = statement["Action"] if isinstance(statement["Action"], list) else [
                statement["Action"]]
            assert not any(ci_policy.resource_level(a) for a in actions), statement


# --- the command ----------------------------------------------------------------------------------

def test_ci_policy_command_prints_a_stacks_documents(capsys, stack_plan):
    assert main(["ci-policy", "preview", "staging", "--account", ACCOUNT]) == 0
    assert json.loads(capsys.readouterr().out) == ci_policy.policies(
        stack_plan("staging"), "preview", ACCOUNT)
    assert main(["ci-policy", "deploy", "dev", "staging", "--account", ACCOUNT]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"shipyard-dev-ci-deploy",
                                                        "shipyard-staging-ci-deploy"}
    example = PROJECT / "examples" / "two-service-app" / "Pulumi.eks.yaml"
    assert main(["ci-policy", "deploy", "eks", "--stack-file", str(example),
                 "--account", ACCOUNT]) == 0
    assert list(json.loads(capsys.readouterr().out)) == ["shipyard-eks-ci-deploy"]
    # No secrets on Kubernetes, no builds: ReadOnlyAccess is all its previews need.
    assert main(["ci-policy", "preview", "eks", "--stack-file", str(example),
                 "--account", ACCOUNT]) == 0
    assert json.loads(capsys.readouterr().out) == {}


@pytest.mark.parametrize("argv, message", [
    (["deploy", "qa"], "no stack file Pulumi.qa.yaml"),
    (["deploy"], "needs the stack(s)"),
    (["preview", "dev", "prod", "--stack-file", "Pulumi.dev.yaml"], "one stack"),
    (["trust", "prod", "--environment", "prod", "--repository", "acme/shop"], "takes no stack"),
    (["ecr-push", "--ecr-repository", "shop/api", "--account", "12345"], "12-digit"),
])
def test_ci_policy_command_refuses_bad_input(capsys, argv, message):
    if "--account" not in argv:
        argv = [*argv, "--account", ACCOUNT]
    assert main(["ci-policy", *argv]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert captured.out == ""


def test_invalid_stack_config_is_reported_like_every_command(capsys, tmp_path):
    broken = tmp_path / "Pulumi.broken.yaml"
    broken.write_text("config:\n  shipyard:services:\n    - name: api\n      cpu: lots\n")
    assert main(["ci-policy", "deploy", "broken", "--stack-file", str(broken),
                 "--account", ACCOUNT]) == 2
    assert "invalid stack config" in capsys.readouterr().err
