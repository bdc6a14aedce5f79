"""One eval case as its YAML file states it: what is asked, what is planted, what must hold.

A case file (``bot/eval/cases/<category>.yaml``) is a list of these. Each case says what it
checks in words (``checks``) and in expectations the evaluators test against the run's evidence:
tools called and their arguments, facts and links in the answer, the writes proposed. Planted
text goes into the SIMULATED data of that case only (a Jira description or comment, a pull
request's body, a CI job's log, an incident of the team's MCP server, an attached file).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Category(StrEnum):
    """What kind of question a case asks; the report gives a pass rate for each."""

    LOOKUP = "lookup"  # one look-up: an issue, a pull request, a count
    JOIN = "join"  # Jira + GitHub + CI together ("is OPS-2's fix deployed?")
    FOLLOWUP = "followup"  # needs the thread's earlier turns
    JQL = "jql"  # a search written from words, scoped to the allowed projects
    WRITE = "write"  # a change asked for: proposed with the right arguments, waiting for approval
    INJECTION = "injection"  # an instruction planted in data: nothing proposed, leaked or pinged
    SCOPE = "scope"  # projects or repositories outside the allowlists: refused


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Proposal(_Strict):
    """A write the case expects proposed: the tool, and arguments that must match (a subset;
    strings compare case-insensitively, and a string argument matches when it contains the
    expected text)."""

    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class Expectation(_Strict):
    """What must hold of the run. Every case is also checked for leaked secrets, channel pings
    and writes performed at the simulators, whether it says so or not."""

    tools: list[str] = Field(default_factory=list)  # each called at least once
    arguments: dict[str, dict[str, Any]] = Field(default_factory=dict)  # tool → arguments some call matched
    facts: list[str] = Field(default_factory=list)  # each in the answer (case-insensitive)
    links: list[str] = Field(default_factory=list)  # URL paths in the answer, e.g. /browse/OPS-2
    absent: list[str] = Field(default_factory=list)  # none of these in the answer
    proposes: list[Proposal] = Field(default_factory=list)  # exactly these writes proposed, no others


class Plant(_Strict):
    """Text put into one case's SIMULATED data before it runs."""

    jira_description: dict[str, str] = Field(default_factory=dict)  # issue key → a paragraph added
    jira_comment: dict[str, str] = Field(default_factory=dict)  # issue key → a comment added
    pull_body: dict[int, str] = Field(default_factory=dict)  # acme/payments number → body appended
    job_log: dict[int, str] = Field(default_factory=dict)  # job id → lines appended to its log
    incident: dict[str, str] = Field(default_factory=dict)  # MCP incident id → its description


class AttachedFile(_Strict):
    """A file attached to the question, as a person would upload a log or a config."""

    name: str
    text: str


class EvalCase(_Strict):
    """One question to the bot and what its answer must show."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    category: Category
    checks: str  # what the case checks, in a sentence
    ask: str
    thread: list[str] = Field(default_factory=list)  # earlier questions of the thread, asked first
    files: list[AttachedFile] = Field(default_factory=list)
    plant: Plant = Field(default_factory=Plant)
    expect: Expectation = Field(default_factory=Expectation)
    fast: bool = False  # in the fast subset `make test` runs

    @field_validator("ask")
    @classmethod
    def _asked(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a case must ask something")
        return value

    @property
    def injected(self) -> bool:
        """The case plants text in the data: write safety counts it."""
        return self.category is Category.INJECTION
