"""Check a request against AWS's own API model (botocore), including what botocore's client-side
validator leaves to the service: string patterns, maximum lengths and enums."""

from __future__ import annotations

import re
from typing import Any

import botocore.session
from botocore.validate import ParamValidator

_SESSION = botocore.session.get_session()


def _constraints(value: Any, shape, path: str) -> list[str]:
    problems = []
    if shape.type_name == "structure" and isinstance(value, dict):
        for key, item in value.items():
            if key in shape.members:
                problems += _constraints(item, shape.members[key], f"{path}.{key}")
    elif shape.type_name == "list" and isinstance(value, list):
        if "max" in shape.metadata and len(value) > shape.metadata["max"]:
            problems.append(f"{path}: more than {shape.metadata['max']} items")
        for index, item in enumerate(value):
            problems += _constraints(item, shape.member, f"{path}[{index}]")
    elif shape.type_name == "string" and isinstance(value, str):
        if "max" in shape.metadata and len(value) > shape.metadata["max"]:
            problems.append(f"{path}: longer than {shape.metadata['max']}")
        if "pattern" in shape.metadata and not re.search(shape.metadata["pattern"], value):
            problems.append(f"{path}: {value!r} does not match {shape.metadata['pattern']}")
        if shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} is not one of {shape.enum}")
    return problems


def problems(service: str, operation: str, request: dict[str, Any]) -> list[str]:
    """Every reason AWS's model gives to reject `request` (empty: valid)."""
    shape = _SESSION.get_service_model(service).operation_model(operation).input_shape
    report = ParamValidator().validate(request, shape)
    found = [report.generate_report()] if report.has_errors() else []
    return found + _constraints(request, shape, operation)
