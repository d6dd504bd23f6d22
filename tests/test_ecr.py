"""ECR: repository settings, the generated lifecycle policy and the optional pull policy."""

from __future__ import annotations

import json

import pytest

from shipyard.aws.ecr_lifecycle import lifecycle_policy
from shipyard.config import ConfigError
from tests.conftest import run_shipyard

REPO = "aws:ecr/repository:Repository"


def repositories(*repos, production=False):
    return run_shipyard({"production": production, "ecr": {"repositories": list(repos)}})


def test_defaults_are_secure():
    plan = repositories({"name": "shop/api"})
    repo = plan.one(REPO)
    assert repo.inputs["name"] == "shop/api"
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repo.inputs["forceDelete"] is False
    assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "AES256"}]
    assert plan.of_type("aws:ecr/repositoryPolicy:RepositoryPolicy") == []


def test_settings_are_passed_through():
    repo = repositories({"name": "api", "scanOnPush": False, "imageTagMutability": "MUTABLE",
                         "forceDelete": True}).one(REPO)
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": False}
    assert repo.inputs["imageTagMutability"] == "MUTABLE"
    assert repo.inputs["forceDelete"] is True


def test_lifecycle_policy_matches_the_settings():
    plan = repositories({"name": "api", "keepLastImages": 12, "expireUntaggedAfterDays": 3})
    policy = json.loads(plan.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])
    untagged, keep = sorted(policy["rules"], key=lambda r: r["rulePriority"])
    assert untagged["selection"] == {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                     "countUnit": "days", "countNumber": 3}
    assert keep["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan",
                                 "countNumber": 12}
    assert {r["action"]["type"] for r in policy["rules"]} == {"expire"}


def test_lifecycle_defaults_keep_30_and_expire_untagged_after_7_days():
    policy = json.loads(lifecycle_policy(30, 7))
    assert [r["selection"]["countNumber"] for r in policy["rules"]] == [7, 30]
    # ECR requires the tagStatus "any" rule to carry the highest priority number.
    assert policy["rules"][-1]["selection"]["tagStatus"] == "any"


def test_pull_policy_only_when_accounts_are_given():
    plan = repositories({"name": "api", "pullAccountIds": ["222222222222", "111111111111"]})
    policy = json.loads(plan.one("aws:ecr/repositoryPolicy:RepositoryPolicy").inputs["policy"])
    statement = policy["Statement"][0]
    assert statement["Principal"]["AWS"] == ["arn:aws:iam::111111111111:root",
                                             "arn:aws:iam::222222222222:root"]
    assert not any(a.startswith("ecr:Put") or a.startswith("ecr:Delete")
                   for a in statement["Action"])


@pytest.mark.parametrize("production", [True, False])
def test_repositories_are_protected_in_production(production):
    repo = repositories({"name": "api"}, production=production).one(REPO)
    assert repo.protect is production


def test_repository_url_is_exported():
    plan = repositories({"name": "shop/api"})
    assert plan.outputs["repositoryUrls"] == {
        "shop/api": "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api"}


def test_a_stack_that_uses_repositories_creates_none_and_pulls_from_the_owners():
    plan = run_shipyard({"ecr": {"mode": "use", "repositories": [{"name": "shop/api"}]},
                         "ecs": {"enabled": True},
                         "services": [{"name": "api", "repository": "shop/api", "tag": "1.4.2"}]})
    assert [r for r in plan.resources if r.type.startswith("aws:ecr/")] == []
    url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api"
    assert plan.outputs["repositoryUrls"] == {"shop/api": url}
    task = plan.one("aws:ecs/taskDefinition:TaskDefinition")
    assert json.loads(task.inputs["containerDefinitions"])[0]["image"] == f"{url}:1.4.2"


def test_dev_and_staging_use_the_repositories_prod_owns(stack_plan):
    assert [r.inputs["name"] for r in stack_plan("prod").of_type(REPO)] == ["shop/api", "shop/web"]
    assert all(r.protect for r in stack_plan("prod").of_type(REPO))
    for stack in ("dev", "staging"):
        assert stack_plan(stack).of_type(REPO) == []
        assert set(stack_plan(stack).outputs["repositoryUrls"]) <= {"shop/api", "shop/web"}


def test_owner_settings_in_a_stack_that_only_uses_the_repository_are_config_errors():
    with pytest.raises(ConfigError) as error:
        run_shipyard({"ecr": {"mode": "use", "repositories": [
            {"name": "shop/api", "keepLastImages": 5, "forceDelete": True}]}})
    assert error.value.problems == [
        "shipyard:ecr.repositories[0].forceDelete: set by the stack that creates the repository "
        "(this stack's shipyard:ecr.mode is 'use')",
        "shipyard:ecr.repositories[0].keepLastImages: set by the stack that creates the "
        "repository (this stack's shipyard:ecr.mode is 'use')"]
