"""Every physical name Shipyard sets or lets Pulumi auto-name, with the rule AWS applies to it.

Each AWS type's facts row (shipyard/review/resource_facts.py, `name_rule`) names its name input, its
length and character rules, where they come from (botocore's service model, read here, when it
states them: `FromBotocore`; the AWS docs otherwise: `NameRule`), whether Pulumi auto-names it
(logical name + '-' + 7 random characters) when Shipyard leaves it unset, and the scope in which
two names collide (the whole account, one region, or one parent such as a VPC or a cluster);
or that the type has none (NAMELESS). `tests/test_aws_names.py` walks every resource of every shipped and generated plan
through this table, and plans all shipped stacks together to prove they never claim one name.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterator, Literal, Optional

Scope = Literal["account", "region", "parent"]
# What Pulumi appends to an auto-named resource: "-" and 7 random lowercase hex characters
# (shipyard.aws.naming.AUTONAME_SUFFIX characters in all).
AUTONAME_EXAMPLE = "-0a1b2c3"


@dataclass(frozen=True)
class NameRule:
    field: str                    # the input that holds the physical name
    scope: Scope                  # where two equal names collide
    min_length: int
    max_length: int
    pattern: str                  # the whole name must match
    source: str
    auto_named: bool = False      # Pulumi names it when `field` is unset
    forbidden_prefixes: tuple[str, ...] = ()
    required_prefix: str = ""

    def problems(self, name: str) -> list[str]:
        found = []
        if not self.min_length <= len(name) <= self.max_length:
            found.append(f"{len(name)} characters, allowed {self.min_length}..{self.max_length}")
        if not re.fullmatch(self.pattern, name, flags=re.ASCII):
            found.append(f"does not match {self.pattern}")
        if not name.startswith(self.required_prefix):
            found.append(f"must start with '{self.required_prefix}'")
        found += [f"must not start with '{prefix}'" for prefix in self.forbidden_prefixes
                  if name.startswith(prefix)]
        return found


@dataclass(frozen=True)
class FromBotocore:
    """A name rule botocore's service model states (min/max/pattern of an operation's member),
    read from it on first use."""

    field: str
    scope: Scope
    service: str
    operation: str
    member: str
    auto_named: bool = False
    forbidden_prefixes: tuple[str, ...] = ()
    required_prefix: str = ""

    def rule(self, session) -> NameRule:
        shape = session.get_service_model(self.service).operation_model(self.operation).input_shape
        metadata = shape.members[self.member].metadata
        pattern = metadata.get("pattern", ".+")
        pattern = _JAVA_PATTERNS.get(pattern, pattern).removeprefix("^").removesuffix("$")
        return NameRule(self.field, self.scope, metadata.get("min", 1), metadata["max"], pattern,
                        f"botocore {self.service} {self.operation}.{self.member}",
                        self.auto_named, self.forbidden_prefixes, self.required_prefix)


# botocore writes some patterns in Java's regex dialect; their Python equivalents.
_JAVA_PATTERNS = {
    r"^(?!arn:)[!-~]{1,1024}$": r"(?!arn:)[!-~]{1,1024}",
    r"\p{Print}+": r"[\x20-\x7e]+",
    # XmlStringMaxLen255: any XML character (astral-plane pairs written as surrogates).
    r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*":
        "[\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff\r\n\t]*",
}


@functools.cache
def rules() -> dict[str, NameRule]:
    """Resource type -> its name rule, from its facts row (botocore is read once, on first use)."""
    import botocore.session

    from shipyard.platforms import resource_facts

    session = botocore.session.get_session()
    return {resource_type: row.name_rule.rule(session)
            if isinstance(row.name_rule, FromBotocore) else row.name_rule
            for resource_type, row in resource_facts().items()
            if isinstance(row.name_rule, (NameRule, FromBotocore))}


def physical_name(resource_type: str, logical_name: str, inputs: dict) -> Optional[str]:
    """The name AWS will see: the explicit input, or Pulumi's auto-name, or None."""
    rule = rules().get(resource_type)
    if rule is None:
        return None
    given = inputs.get(rule.field)
    if isinstance(given, str):
        return given
    return logical_name + AUTONAME_EXAMPLE if rule.auto_named else None


def explicit_name(resource_type: str, inputs: dict) -> Optional[str]:
    rule = rules().get(resource_type)
    value = inputs.get(rule.field) if rule else None
    return value if isinstance(value, str) else None


def name_problems(resource_type: str, logical_name: str, inputs: dict) -> Iterator[str]:
    name = physical_name(resource_type, logical_name, inputs)
    if name is not None:
        for problem in rules()[resource_type].problems(name):
            yield f"{resource_type} {logical_name}: name '{name}' {problem}"


# The stack name prefixes ALB, target group, S3 bucket, ECS and EKS cluster, log group, KMS
# alias and launch template names: ALB names allow only alphanumerics and hyphens, S3 bucket
# names only lowercase ones, and at this length every derived name stays within its limit (EKS
# cluster names: 100 characters).
STACK_NAME_MAX = 40
_STACK_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


def stack_name_problems(stack: str) -> list[str]:
    if _STACK_NAME.fullmatch(stack) and len(stack) <= STACK_NAME_MAX:
        return []
    return [f"stack name '{stack}': use at most {STACK_NAME_MAX} lowercase letters, digits and "
            "'-' (not first or last): it prefixes AWS names such as the load balancer's and the "
            "log bucket's, which allow nothing else (e.g. prod-eu, not prod_eu)"]
