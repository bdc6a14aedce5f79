from __future__ import annotations

import asyncio
import io
import json
import re

from bot.console.app import ConsoleSession
from bot.runs import STOPPED
from bot.services import Services
from simulators.llm import LLMSimulator


async def test_a_console_thread_keeps_its_history_and_new_starts_afresh(
    services: Services, llm: LLMSimulator
) -> None:
    out = io.StringIO()
    session = ConsoleSession(services, out)
    assert await session.handle("/ask why is OPS-2 blocked?")
    assert await session.handle("and who is on it?")
    follow_up = json.dumps(llm.chat_requests()[-1]["messages"])
    assert "why is OPS-2 blocked?" in follow_up

    assert await session.handle("/new")
    assert await session.handle("what about OPS-3?")
    fresh = json.dumps(llm.chat_requests()[-1]["messages"])
    assert "why is OPS-2 blocked?" not in fresh
    assert "OPS-1" in out.getvalue()
    assert not await session.handle("/quit")


async def test_bad_input_gets_a_message_not_a_run(services: Services, llm: LLMSimulator) -> None:
    out = io.StringIO()
    session = ConsoleSession(services, out)
    await session.handle("/ask ")
    await session.handle("/ask " + "x" * 5000)
    assert llm.chat_requests() == []
    assert "Ask me a question" in out.getvalue() and "limit is 4,000" in out.getvalue()


async def test_direct_commands_print_cards_without_the_llm(services: Services, llm: LLMSimulator) -> None:
    out = io.StringIO()
    session = ConsoleSession(services, out)
    await session.handle("/jira OPS-2")
    await session.handle("/gh acme/payments#42")
    printed = out.getvalue()
    assert "OPS-2: Roll out payments v2 to all regions" in printed
    assert re.search(r"\n  Status +Blocked\n", printed) and "is blocked by OPS-1" in printed
    assert "acme/payments#42: Keep idempotency key" in printed
    assert re.search(r"\n  CI +failing: integration-tests\n", printed)
    assert llm.chat_requests() == []


async def test_more_pages_the_last_jira_list(services: Services) -> None:
    out = io.StringIO()
    session = ConsoleSession(services, out)
    await session.handle("/more")
    assert "Nothing more to show." in out.getvalue()
    await session.handle("/jira project = OPS ORDER BY key ASC")
    first = out.getvalue()
    assert "OPS-1 " in first and "/more for the next page" in first
    await session.handle("/more")
    assert "OPS-11 " in out.getvalue()[len(first) :]


async def test_every_sub_command_prints_its_card(services: Services, llm: LLMSimulator) -> None:
    out = io.StringIO()
    session = ConsoleSession(services, out)
    for line in (
        "/jira count project = OPS",
        "/jira transitions OPS-2",
        "/jira projects",
        "/gh compare acme/payments main...fix/idempotency-retry",
        "/gh runs acme/payments",
        "/gh jobs acme/payments 6100421",
        "/gh log acme/payments 9100423",
    ):
        assert await session.handle(line)
    printed = out.getvalue()
    assert re.search(r"^About \d+ issues match\n  query: project = OPS$", printed, re.MULTILINE)
    assert "OPS-2: 1 transition available\n" in printed and "• Unblock — to In Progress" in printed
    assert "• OPS Operations" in printed
    assert "Status   fix/idempotency-retry is ahead of main" in printed
    assert "acme/payments: 3 workflow runs\n" in printed and "run 6100421" in printed
    assert "• integration-tests failed at Run integration tests — failure · job 9100423" in printed
    assert "  | ##[error]Process completed with exit code 1.\n" in printed
    assert llm.chat_requests() == []


async def test_help_names_every_direct_command(services: Services) -> None:
    out = io.StringIO()
    await ConsoleSession(services, out).handle("/help")
    for command in (
        "/jira count",
        "/jira transitions",
        "/jira projects",
        "/gh compare",
        "/gh runs",
        "/gh jobs",
    ):
        assert command in out.getvalue()
    assert "/gh log owner/repo <job id>" in out.getvalue()


async def test_ask_why_shows_the_tools_behind_the_last_answer_as_in_slack(
    services: Services, llm: LLMSimulator
) -> None:
    out = io.StringIO()
    session = ConsoleSession(services, out)
    await session.handle("/ask why")
    assert "haven't asked me anything" in out.getvalue()

    await session.handle("why is OPS-2 blocked?")
    requests = len(llm.chat_requests())
    await session.handle("/ask why")

    details = out.getvalue().rpartition("tokens]")[2]
    assert "Your last question here" in details and "Tools called, in order:" in details
    assert "jira_get_issue" in details
    assert len(llm.chat_requests()) == requests, "answered from the store, not by the model"


async def test_stop_ends_the_answer_in_flight_interrupted_with_its_partial_text_kept(
    services: Services, llm: LLMSimulator
) -> None:
    llm.chunk_delay, llm.words_per_delta = 0.05, 1
    llm.script([" ".join(f"w{n:03d}" for n in range(200))])
    out = io.StringIO()
    session = ConsoleSession(services, out)
    assert not await session.stop(), "nothing runs yet"

    asking = asyncio.create_task(session.handle("tell me everything"))
    while "w005" not in out.getvalue():  # noqa: ASYNC110 (the text written is the signal)
        await asyncio.sleep(0.02)
    assert await session.stop()
    await asyncio.wait_for(asking, 10)

    assert "w005" in out.getvalue() and "w199" not in out.getvalue()
    assert out.getvalue().endswith(f"  ⚠ {STOPPED}\n")
    conversation = await services.store.find_conversation("console", "console", session.thread_ts)
    assert conversation is not None
    (run,) = await services.store.runs(conversation)
    assert run.status == "interrupted"
    assert not await session.stop(), "it has ended: nothing left to stop"


async def test_standup_scheduling_is_left_to_slack(services: Services) -> None:
    out = io.StringIO()
    await ConsoleSession(services, out).handle("/standup schedule weekdays 09:30 OPS")
    assert "posted in a Slack channel" in out.getvalue()
