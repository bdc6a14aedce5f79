"""Every request JiraClient makes, and every response it reads, checked against Jira's OpenAPI.

The spec is the vendored subset in tests/specs/jira-subset.json (provenance in its README). A
recording transport under the real client captures what goes over the wire to the simulator:
each request must name a documented operation (method + path template), send only documented
query parameters with valid values, and a body that validates; each response must validate
against the operation's schema (errors against ErrorCollection). The spec's own examples in
tests/specs/examples/ are validated the same way, so the schemas are known to accept real data.

The spec is Jira Cloud's (v3). Data Center (v2) requests are checked against the v3 operation
of the same path where one exists — v2 and v3 share parameters — except the DC-only project
list ``GET /rest/api/2/project``, which the Cloud spec does not describe.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from integrations.errors import UpstreamError
from integrations.jira import JiraClient
from simulators.jira import JiraSimulator
from tests.integrations.conftest import JIRA_EMAIL, JIRA_PAT, JIRA_TOKEN, SleepRecorder
from tests.openapi_subset import to_json_schema

SPECS = Path(__file__).parents[1] / "specs"
SPEC: dict[str, Any] = json.loads((SPECS / "jira-subset.json").read_text("utf-8"))
OPERATIONS: list[dict[str, Any]] = SPEC["operations"]
NOT_IN_CLOUD_SPEC = {("GET", "/rest/api/2/project")}


@dataclass
class Exchange:
    method: str
    path: str
    query: list[tuple[str, str]]
    body: Any
    status: int
    response: Any


class RecordingTransport(httpx.AsyncBaseTransport):
    """A real HTTP transport that also keeps a copy of every request and response body."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        content = await response.aread()
        self.exchanges.append(
            Exchange(
                method=request.method,
                path=request.url.path,
                query=list(request.url.params.multi_items()),
                body=json.loads(request.content) if request.content else None,
                status=response.status_code,
                response=json.loads(content) if content else None,
            )
        )
        return httpx.Response(response.status_code, headers=response.headers, content=content)

    async def aclose(self) -> None:
        await self._inner.aclose()


def validate(instance: Any, schema: dict[str, Any]) -> None:
    jsonschema.Draft7Validator(to_json_schema(schema)).validate(instance)


def operation(method: str, path: str) -> dict[str, Any]:
    """The spec operation for a concrete request path (Data Center v2 looked up as v3)."""
    cloud_path = re.sub(r"^/rest/api/2/", "/rest/api/3/", path)
    for candidate in OPERATIONS:
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(candidate["path"]))
        if candidate["method"] == method and re.fullmatch(pattern, cloud_path):
            return candidate
    raise AssertionError(f"{method} {path} is not an operation of the Jira spec")


def check_request(exchange: Exchange) -> dict[str, Any]:
    spec = operation(exchange.method, exchange.path)
    parameters = {p["name"]: p for p in spec.get("parameters", []) if p.get("in") == "query"}
    sent = {name for name, _ in exchange.query}
    assert sent <= set(parameters), f"{exchange.path}: undocumented parameters {sent - set(parameters)}"
    missing = {name for name, p in parameters.items() if p.get("required")} - sent
    assert not missing, f"{exchange.path}: missing required parameters {missing}"
    for name, value in exchange.query:
        check_parameter_value(name, value, parameters[name].get("schema", {}))
    if exchange.body is not None:
        assert "requestBody" in spec, f"{exchange.method} {exchange.path} takes no body"
        validate(exchange.body, spec["requestBody"]["schema"])
    elif spec.get("requestBody", {}).get("required"):
        raise AssertionError(f"{exchange.method} {exchange.path} needs a body")
    return spec


def check_parameter_value(name: str, value: str, schema: dict[str, Any]) -> None:
    kind = schema.get("type")
    if kind == "integer":
        number = int(value)
        assert number <= schema.get("maximum", number), f"{name}={value} above the maximum"
    elif kind == "boolean":
        assert value in ("true", "false"), f"{name}={value} is not a boolean"
    elif kind == "array":  # Jira reads repeated or comma-separated values
        for item in value.split(","):
            check_parameter_value(name, item, schema.get("items", {}))
    if "enum" in schema:
        assert value in schema["enum"], f"{name}={value} not in {schema['enum']}"


def check_response(spec: dict[str, Any], exchange: Exchange) -> None:
    if exchange.status >= 400:
        validate(exchange.response, SPEC["error_schema_ErrorCollection"])
        return
    if exchange.status == 204:  # transition, assign: documented without a body
        assert str(exchange.status) in spec["responses"], f"{exchange.path}: 204 is not documented"
        assert exchange.response is None, f"{exchange.path}: a 204 with a body"
        return
    documented = spec["responses"].get(str(exchange.status), {})
    assert "schema" in documented, f"{exchange.path}: status {exchange.status} has no documented body"
    validate(exchange.response, documented["schema"])


Scenario = Callable[[JiraClient], Awaitable[None]]


async def cloud_scenario(jira: JiraClient) -> None:
    await jira.myself()
    await jira.get_issue("OPS-2")  # the first read also discovers the sprint field
    await jira.get_issue("OPS-1")
    await jira.get_issue("OPS-6")
    page = await jira.search("project = OPS ORDER BY key", limit=5)
    await jira.search("project = OPS ORDER BY key", limit=5, page_token=page.next_page_token)
    await jira.count("project = OPS AND status = Done")
    await jira.transitions("OPS-2")
    await jira.projects()
    await jira.assignable_users("OPS-6", "Fox")
    for failing in (jira.get_issue("OPS-404"), jira.search("flavour = vanilla")):
        with pytest.raises(UpstreamError):
            await failing


@pytest.fixture
async def recorded_cloud(sleeps: SleepRecorder) -> AsyncIterator[list[Exchange]]:
    transport = RecordingTransport()
    async with JiraSimulator(page_cap=2) as sim:
        async with JiraClient.create(
            sim.url, email=JIRA_EMAIL, api_token=JIRA_TOKEN, transport=transport, sleep=sleeps
        ) as jira:
            await cloud_scenario(jira)
    yield transport.exchanges


@pytest.fixture
async def recorded_datacenter(sleeps: SleepRecorder) -> AsyncIterator[list[Exchange]]:
    transport = RecordingTransport()
    async with JiraSimulator(edition="datacenter", page_cap=2) as sim:
        async with JiraClient.create(sim.url, pat=JIRA_PAT, transport=transport, sleep=sleeps) as jira:
            await jira.get_issue("OPS-2")
            page = await jira.search("project = OPS", limit=3)
            await jira.search("project = OPS", limit=3, page_token=page.next_page_token)
            await jira.count("project = OPS")
            await jira.transitions("OPS-2")
            await jira.projects()
            await jira.assignable_users("OPS-6", "fmulder")
    yield transport.exchanges


def test_every_cloud_request_and_response_matches_the_spec(recorded_cloud: list[Exchange]) -> None:
    used = set()
    for exchange in recorded_cloud:
        spec = check_request(exchange)
        check_response(spec, exchange)
        used.add(f"{spec['method']} {spec['path']}")

    assert used == {
        "GET /rest/api/3/myself",
        "GET /rest/api/3/issue/{issueIdOrKey}",
        "GET /rest/api/3/search/jql",
        "POST /rest/api/3/search/approximate-count",
        "GET /rest/api/3/issue/{issueIdOrKey}/transitions",
        "GET /rest/api/3/project/search",
        "GET /rest/api/3/user/assignable/search",
    }
    assert {exchange.status for exchange in recorded_cloud} == {200, 400, 404}
    assert sum(exchange.path == "/rest/api/3/project/search" for exchange in recorded_cloud) == 2


async def write_scenario(jira: JiraClient, *, account: str) -> None:
    created = await jira.create_issue(
        "OPS",
        "Bug",
        "Duplicate charge on retry",
        "**Steps**\n\n1. pay\n2. time out\n\n```\nretry()\n```\n| a | b |\n|---|---|\n| 1 | 2 |",
        priority="High",
        labels=["payments"],
        assignee_account_id=account,
    )
    await jira.add_comment(created.key, "See [PR 42](https://github.com/acme/payments/pull/42) and `retry()`")
    await jira.transition(created.key, "Start progress")
    await jira.assign(created.key, account)
    with pytest.raises(UpstreamError):
        await jira.create_issue("OPS", "Saga", "refused", "")


@pytest.fixture
async def recorded_writes(sleeps: SleepRecorder) -> AsyncIterator[list[Exchange]]:
    transport = RecordingTransport()
    async with JiraSimulator() as sim:
        async with JiraClient.create(
            sim.url, email=JIRA_EMAIL, api_token=JIRA_TOKEN, transport=transport, sleep=sleeps
        ) as jira:
            await write_scenario(jira, account="5f8b1c2d3e4a5b6c7d8e9f01")
    yield transport.exchanges


async def test_every_cloud_write_and_its_answer_matches_the_spec(recorded_writes: list[Exchange]) -> None:
    used = []
    for exchange in recorded_writes:
        spec = check_request(exchange)
        check_response(spec, exchange)
        used.append(f"{spec['method']} {spec['path']}")

    assert used == [
        "POST /rest/api/3/issue",
        "POST /rest/api/3/issue/{issueIdOrKey}/comment",
        "GET /rest/api/3/issue/{issueIdOrKey}/transitions",
        "POST /rest/api/3/issue/{issueIdOrKey}/transitions",
        "PUT /rest/api/3/issue/{issueIdOrKey}/assignee",
        "POST /rest/api/3/issue",
    ]
    assert [exchange.status for exchange in recorded_writes] == [201, 201, 200, 204, 204, 400]


async def test_every_data_center_write_uses_the_documented_shape(sleeps: SleepRecorder) -> None:
    transport = RecordingTransport()
    async with JiraSimulator(edition="datacenter") as sim:
        async with JiraClient.create(sim.url, pat=JIRA_PAT, transport=transport, sleep=sleeps) as jira:
            await write_scenario(jira, account="dscully")

    for exchange in transport.exchanges:
        check_request(exchange)
    bodies = [exchange.body for exchange in transport.exchanges if exchange.method != "GET"]
    assert isinstance(bodies[0]["fields"]["description"], str)  # wiki markup, not ADF
    assert isinstance(bodies[1]["body"], str)
    assert bodies[3] == {"name": "dscully"}


def test_every_data_center_request_uses_documented_parameters(recorded_datacenter: list[Exchange]) -> None:
    checked = [
        check_request(exchange)
        for exchange in recorded_datacenter
        if (exchange.method, exchange.path) not in NOT_IN_CLOUD_SPEC
    ]

    assert {f"{spec['method']} {spec['path']}" for spec in checked} == {
        "GET /rest/api/3/issue/{issueIdOrKey}",
        "GET /rest/api/3/search",  # the v2 search Data Center keeps (removed on Cloud)
        "GET /rest/api/3/issue/{issueIdOrKey}/transitions",
        "GET /rest/api/3/user/assignable/search",
    }
    assert any((e.method, e.path) in NOT_IN_CLOUD_SPEC for e in recorded_datacenter)


@pytest.mark.parametrize(
    ("example", "method", "path", "part"),
    [
        ("jira-issue.json", "GET", "/rest/api/3/issue/{issueIdOrKey}", "200"),
        ("jira-search-jql-response.json", "GET", "/rest/api/3/search/jql", "200"),
        ("jira-transitions.json", "GET", "/rest/api/3/issue/{issueIdOrKey}/transitions", "200"),
        ("jira-create-issue-request.json", "POST", "/rest/api/3/issue", "request"),
        ("jira-add-comment-request.json", "POST", "/rest/api/3/issue/{issueIdOrKey}/comment", "request"),
    ],
)
def test_spec_examples_validate_against_their_schemas(
    example: str, method: str, path: str, part: str
) -> None:
    payload = json.loads((SPECS / "examples" / example).read_text("utf-8"))
    spec = next(op for op in OPERATIONS if (op["method"], op["path"]) == (method, path))

    schema = spec["requestBody"]["schema"] if part == "request" else spec["responses"][part]["schema"]
    validate(payload, schema)


def test_the_410_example_is_an_error_collection() -> None:
    payload = json.loads((SPECS / "examples" / "jira-error-410-search-removed.json").read_text("utf-8"))

    validate(payload, SPEC["error_schema_ErrorCollection"])


def test_the_schemas_are_strict_enough_to_catch_a_wrong_shape() -> None:
    # A check that cannot fail proves nothing: a mistyped key and a wrong type are rejected.
    spec = operation("GET", "/rest/api/3/search/jql")
    with pytest.raises(jsonschema.ValidationError):
        validate({"issues": [], "is_last": True}, spec["responses"]["200"]["schema"])
    with pytest.raises(jsonschema.ValidationError):
        validate({"issues": [], "isLast": "yes"}, spec["responses"]["200"]["schema"])
    with pytest.raises(AssertionError, match="undocumented parameters"):
        check_request(Exchange("GET", "/rest/api/3/search/jql", [("startAt", "0")], None, 200, {}))
    with pytest.raises(AssertionError, match="not an operation"):
        operation("GET", "/rest/api/3/search/jql/extra")
    assign = operation("PUT", "/rest/api/3/issue/OPS-1/assignee")
    with pytest.raises(jsonschema.ValidationError):  # the assignee body is a closed object
        validate({"account": "x"}, assign["requestBody"]["schema"])
