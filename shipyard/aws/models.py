"""AWS's own input constraints, read from botocore's service models.

Every AWS API ships a machine-readable model (the one the AWS SDKs and CLI are generated from)
whose shapes carry `min`/`max` lengths, a `pattern` and an `enum`. Validating config values against
those shapes catches, before `pulumi up`, what the API would refuse: an instance type EC2 does not
have, a label key longer than EKS's 63 characters, an ECR name ECR's pattern rejects.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import Any

from botocore.loaders import Loader
from pydantic import AfterValidator


@lru_cache(maxsize=None)
def _shapes(service: str) -> dict[str, Any]:
    return Loader().load_service_model(service, "service-2")["shapes"]


def shape(service: str, name: str) -> dict[str, Any]:
    """The shape `name` of `service`'s model, e.g. `shape("eks", "labelKey")`."""
    return _shapes(service)[name]


def member_shape(service: str, structure: str, member: str) -> dict[str, Any]:
    """The shape of `structure.member`, e.g. `member_shape("eks", "Taint", "key")`."""
    return shape(service, _shapes(service)[structure]["members"][member]["shape"])


@lru_cache(maxsize=None)
def instance_types() -> frozenset[str]:
    """Every instance type EC2's API accepts (the `InstanceType` enum)."""
    return frozenset(shape("ec2", "InstanceType")["enum"])


def problem(value: str, constraints: dict[str, Any], what: str,
            pattern_message: str | None = None) -> str | None:
    """Why `value` breaks a string shape's constraints (`what` names the API), or None."""
    if len(value) < constraints.get("min", 0):
        return (f"must not be empty, as {what} requires" if constraints["min"] == 1 else
                f"must have at least {constraints['min']} characters, as {what} requires")
    if "max" in constraints and len(value) > constraints["max"]:
        return f"must have at most {constraints['max']} characters, as {what} requires"
    if "pattern" in constraints and not re.fullmatch(constraints["pattern"], value):
        return pattern_message or f"must match {what}'s pattern {constraints['pattern']}"
    if "enum" in constraints and value not in constraints["enum"]:
        close = difflib.get_close_matches(value, constraints["enum"], n=1)
        return f"is not a value {what} accepts" + (f"; did you mean '{close[0]}'?" if close else "")
    return None


def constrained(service: str, structure: str, member: str, what: str,
                pattern_message: str | None = None) -> AfterValidator:
    """A pydantic validator holding a string to the API shape of `structure.member`."""

    def validate(value: str) -> str:
        message = problem(value, member_shape(service, structure, member), what, pattern_message)
        if message:
            raise ValueError(message)
        return value

    return AfterValidator(validate)


def _instance_type(value: str) -> str:
    if value not in instance_types():
        close = difflib.get_close_matches(value, sorted(instance_types()), n=1)
        raise ValueError(f"'{value}' is not an EC2 instance type (EC2's InstanceType list)"
                         + (f"; did you mean '{close[0]}'?" if close else ""))
    return value


EC2_INSTANCE_TYPE = AfterValidator(_instance_type)
