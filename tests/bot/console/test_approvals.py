"""Approvals in the console: the preview is printed, the next line decides, the write runs once
against the Jira simulator, and the paused run resumes with the outcome."""

from __future__ import annotations

import io
import json

from bot.console.app import ConsoleSession
from bot.services import Services
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator, ToolCall

CREATE = ToolCall(
    "jira_create_issue",
    {"project": "OPS", "issue_type": "Bug", "summary": "Flaky integration-tests on payments"},
)


async def test_y_creates_the_issue_once_and_the_agent_reports_it(
    services: Services, llm: LLMSimulator, jira: JiraSimulator
) -> None:
    llm.script([[CREATE], "Created it for you."])
    out = io.StringIO()
    session = ConsoleSession(services, out)

    await session.handle("file a bug in OPS about the flaky integration tests")
    printed = out.getvalue()
    assert (
        "Create a Jira issue in OPS" in printed and "Summary: Flaky integration-tests on payments" in printed
    )
    assert "Approve this change?" in printed
    assert jira.writes() == []

    await session.handle("y")
    await session.handle("y")  # nothing waits any more: an ordinary question, not a second approval

    (write,) = [w for w in jira.writes() if w.operation == "createIssue"]
    assert "Flaky integration-tests on payments" in json.dumps(write.body)
    assert f"Created {write.target}" in out.getvalue() and "Created it for you." in out.getvalue()


async def test_e_lists_fields_an_edit_changes_the_draft_and_n_denies(
    services: Services, llm: LLMSimulator, jira: JiraSimulator
) -> None:
    llm.script([[CREATE], "Fine, I created nothing."])
    out = io.StringIO()
    session = ConsoleSession(services, out)
    await session.handle("file a bug in OPS about the flaky integration tests")

    await session.handle("e")
    assert 'summary = "Flaky integration-tests on payments"' in out.getvalue()
    await session.handle("priority=Urgent")
    assert "Some fields are not valid. priority:" in out.getvalue()
    await session.handle("priority=High")
    assert "Priority: High" in out.getvalue().rsplit("Proposed change", 1)[1]
    await session.handle("n")

    assert jira.writes() == []
    assert "Denied; nothing was changed." in out.getvalue()
    tool_result = [m for m in llm.chat_requests()[-1]["messages"] if m["role"] == "tool"][-1]
    assert "denied" in tool_result["content"]
    assert "Fine, I created nothing." in out.getvalue()


async def test_the_prompt_offers_slacks_words_and_they_decide_like_y_and_n(
    services: Services, llm: LLMSimulator, jira: JiraSimulator
) -> None:
    llm.script([[CREATE], "Fine, I created nothing."])
    out = io.StringIO()
    session = ConsoleSession(services, out)
    await session.handle("file a bug in OPS about the flaky integration tests")
    assert "Approve this change? approve / deny / edit (y/n/e)" in out.getvalue()

    await session.handle("maybe")
    assert out.getvalue().endswith("approve / deny / edit (y/n/e)?\n"), "anything else asks again"
    await session.handle("edit")
    assert 'summary = "Flaky integration-tests on payments"' in out.getvalue()
    await session.handle("deny")

    assert jira.writes() == []
    assert "Denied; nothing was changed." in out.getvalue()


class TerminalOut(io.StringIO):
    """Output that says it is a terminal: the session renders for one (live, boxes, colour)."""

    def isatty(self) -> bool:
        return True


async def test_on_a_terminal_the_proposal_is_a_box_and_approve_creates_the_issue(
    services: Services, llm: LLMSimulator, jira: JiraSimulator
) -> None:
    llm.script([[CREATE], "Created it for you."])
    out = TerminalOut()
    session = ConsoleSession(services, out)
    await session.handle("file a bug in OPS about the flaky integration tests")

    boxed = out.getvalue().rpartition("Proposed change (jira_create_issue), needs your approval")[2]
    assert "│ Summary: Flaky integration-tests on payments" in boxed and "╰" in boxed
    assert "approve / deny / edit (y/n/e)" in boxed
    await session.handle("approve")

    assert [w.operation for w in jira.writes()] == ["createIssue"]
    assert "Created it for you." in out.getvalue()
