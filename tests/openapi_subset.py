"""Checks requests and payloads against a vendored OpenAPI subset (tests/specs/*-subset.json).

The subsets list operations (method, path template, parameters, responses with OpenAPI 3.0
schemas). ``to_json_schema`` turns an OpenAPI 3.0 schema into JSON Schema for ``jsonschema``:
``nullable`` becomes a union with null, ``oneOf`` becomes ``anyOf`` (refs cut at the subset's
depth limit, ``{"x-ref": ...}``, accept anything, so two branches may both match), and
annotations (``format``, ``example`` ...) are dropped. Usable for any of the subsets.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

SPECS = Path(__file__).parent / "specs"
_ANNOTATIONS = frozenset(
    {"nullable", "example", "examples", "format", "description", "title", "discriminator", "readOnly"}
    | {"writeOnly", "deprecated", "xml", "externalDocs", "default"}
)
# Path parameters whose values may contain "/" (git refs such as fix/idempotency-retry).
_GREEDY_PARAMS = frozenset({"ref", "basehead"})


def to_json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema object as a JSON Schema."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _ANNOTATIONS or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {name: to_json_schema(schema) for name, schema in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = to_json_schema(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            out["anyOf" if key == "oneOf" else key] = [to_json_schema(schema) for schema in value]
        else:
            out[key] = value
    if node.get("nullable"):
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    pattern: re.Pattern[str]
    parameters: tuple[dict[str, Any], ...]
    responses: dict[str, Any]
    request_body: dict[str, Any] | None
    example: Any

    def query_parameters(self) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.parameters if p.get("in") == "query"}

    def path_values(self, path: str) -> dict[str, str]:
        match = self.pattern.fullmatch(path)
        return match.groupdict() if match else {}

    def response_schema(self, status: int) -> dict[str, Any] | None:
        response = self.responses.get(str(status))
        if not isinstance(response, dict) or "schema" not in response:
            return None
        schema: dict[str, Any] = to_json_schema(response["schema"])
        return schema


def _pattern(template: str) -> re.Pattern[str]:
    def group(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"(?P<{name}>.+)" if name in _GREEDY_PARAMS else f"(?P<{name}>[^/]+)"

    return re.compile(re.sub(r"\\\{(\w+)\\\}", group, re.escape(template)))


class Spec:
    """One vendored subset: find the operation for a request, check it, validate payloads."""

    def __init__(self, operations: list[Operation]) -> None:
        self.operations = operations

    @classmethod
    def load(cls, name: str) -> Spec:
        data = json.loads((SPECS / name).read_text("utf-8"))
        return cls(
            [
                Operation(
                    operation_id=op["operationId"],
                    method=op["method"].upper(),
                    path=op["path"],
                    pattern=_pattern(op["path"]),
                    parameters=tuple(op.get("parameters", [])),
                    responses=op.get("responses", {}),
                    request_body=op.get("requestBody"),
                    example=op.get("response_example"),
                )
                for op in data["operations"]
            ]
        )

    def operation(self, operation_id: str) -> Operation:
        return next(op for op in self.operations if op.operation_id == operation_id)

    def match(self, method: str, path: str) -> Operation | None:
        # Literal templates first, so /pulls/{n}/files is not taken for a greedy {ref}.
        candidates = [
            op for op in self.operations if op.method == method.upper() and op.pattern.fullmatch(path)
        ]
        candidates.sort(key=lambda op: op.path.count("{"))
        return candidates[0] if candidates else None

    def request_problems(self, method: str, path: str, query: dict[str, str], body: Any = None) -> list[str]:
        """Why this request does not fit the spec (empty when it does)."""
        operation = self.match(method, path)
        if operation is None:
            return [f"{method} {path}: no operation in the spec"]
        problems: list[str] = []
        known = operation.query_parameters()
        for name in query:
            if name not in known:
                problems.append(f"{operation.operation_id}: unknown query parameter {name!r}")
        for name, parameter in known.items():
            if parameter.get("required") and name not in query:
                problems.append(f"{operation.operation_id}: missing required query parameter {name!r}")
            if name in query:
                problems += _value_problems(operation, name, query[name], parameter.get("schema", {}))
        for parameter in operation.parameters:
            if parameter.get("in") == "path":
                value = operation.path_values(path).get(parameter["name"], "")
                problems += _value_problems(operation, parameter["name"], value, parameter.get("schema", {}))
        if operation.request_body is not None and body is not None:
            schema = to_json_schema(operation.request_body.get("schema", {}))
            problems += [f"{operation.operation_id} body: {e}" for e in schema_errors(body, schema)]
        return problems


def _value_problems(operation: Operation, name: str, value: str, schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    if kind == "integer" and not re.fullmatch(r"-?\d+", value):
        return [f"{operation.operation_id}: {name}={value!r} is not an integer"]
    if "enum" in schema and value not in [str(option) for option in schema["enum"]]:
        return [f"{operation.operation_id}: {name}={value!r} is not one of {schema['enum']}"]
    return []


def schema_errors(instance: Any, schema: dict[str, Any]) -> list[str]:
    """Every validation error, as 'path: message' lines (empty when the instance is valid)."""
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '<root>'}: {error.message[:200]}"
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    ]
