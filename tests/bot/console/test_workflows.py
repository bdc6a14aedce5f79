"""/standup, /triage and /jira create in the terminal, on the console's services and the simulators."""

from __future__ import annotations

from bot.console.workflows import NOT_AVAILABLE, standup_text, start_issue, start_triage
from bot.events import ApprovalRequested, Finished
from bot.ports import OneSink
from bot.pricing import PriceTable
from bot.runs.traces import RunTraces
from bot.runs.usage import run_usage
from bot.services import Services
from bot.store.approvals import Asker
from bot.workflows.standup import CHANNEL_LEVEL
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator
from tests.recording_sink import RecordingSink

ASKER = Asker(team_id="T0CONSOLE", user_id="U0CONSOLE", channel="D0CONSOLE", thread_ts="1.0")


async def test_without_workflows_each_command_says_they_are_not_set_up() -> None:
    sink = RecordingSink()

    assert await standup_text(None, ASKER, "OPS") == NOT_AVAILABLE
    assert await start_triage(None, ASKER, "OPS-6") == NOT_AVAILABLE
    assert await start_issue(None, ASKER, "OPS checkout") == NOT_AVAILABLE
    assert sink.events == []


async def test_standup_prints_the_digest_of_the_scope_asked_for(
    services: Services, jira: JiraSimulator
) -> None:
    text = await standup_text(services.workflows, ASKER, "OPS")

    lines = text.splitlines()
    assert lines[0].startswith("Standup")
    assert "  Blocked:" in lines
    assert f"{jira.url}/browse/OPS-2" in text


async def test_a_standup_is_the_askers_run_recorded_and_priced_like_slacks(services: Services) -> None:
    await standup_text(services.workflows, ASKER, "OPS")

    conversation = await services.store.find_conversation(ASKER.team_id, ASKER.channel, CHANNEL_LEVEL)
    assert conversation is not None, "recorded in the asker's channel, like Slack's"
    (run,) = await services.store.runs(conversation)
    assert (run.status, run.trigger, run.user_id) == ("succeeded", "workflow", ASKER.user_id)
    trace = await RunTraces(services.store).trace(run.id)
    assert trace is not None and len(trace.llm) == run.usage.requests == 1
    (priced,) = await run_usage(services.store, PriceTable.from_setting(None), services.settings.llm_model)
    assert priced.cost is not None and priced.cost > 0


async def test_standup_words_it_cannot_place_are_explained_not_raised(services: Services) -> None:
    text = await standup_text(services.workflows, ASKER, "the payments folks")

    assert text.startswith("I don't know the project, repository or team 'the'")


async def test_triage_runs_in_the_askers_thread_and_proposes_its_updates(
    services: Services, llm: LLMSimulator
) -> None:
    sink = RecordingSink()
    services.runs.route("console", OneSink(sink))  # as the console session does

    assert await start_triage(services.workflows, ASKER, "ops-6") is None
    await services.runs.wait_idle()

    assert "*Triage of OPS-6*" in sink.text
    proposed = [e.tool for e in sink.of_type(ApprovalRequested) if isinstance(e, ApprovalRequested)]
    assert proposed == ["jira_add_comment", "jira_assign"]
    assert isinstance(sink.terminal, Finished)


async def test_triage_without_exactly_one_key_is_a_usage_message(services: Services) -> None:
    sink = RecordingSink()

    message = await start_triage(services.workflows, ASKER, "OPS-6 OPS-7")

    assert message is not None and "Usage" in message
    assert sink.events == []


async def test_jira_create_drafts_from_the_words_given_when_the_thread_is_empty(services: Services) -> None:
    sink = RecordingSink()
    services.runs.route("console", OneSink(sink))

    assert await start_issue(services.workflows, ASKER, "OPS checkout times out") is None
    await services.runs.wait_idle()

    assert "*Draft Jira issue for OPS*" in sink.text
    (request,) = sink.of_type(ApprovalRequested)
    assert isinstance(request, ApprovalRequested) and request.tool == "jira_create_issue"


async def test_jira_create_needs_a_project_and_something_to_draft_from(services: Services) -> None:
    sink = RecordingSink()

    no_project = await start_issue(services.workflows, ASKER, "checkout times out")
    nothing = await start_issue(services.workflows, ASKER, "OPS")

    assert no_project is not None and "Say which Jira project" in no_project
    assert nothing == "Say what the issue is about, e.g. `/jira create OPS checkout times out`."
    assert sink.events == []


async def test_jira_create_drafts_from_what_was_said_in_the_console_thread(services: Services) -> None:
    await services.store.open_question(
        ASKER.team_id,
        ASKER.channel,
        ASKER.thread_ts,
        text="checkout returns a 500 since the deploy, urgent",
        trigger="console",
        user_id=ASKER.user_id,
    )
    sink = RecordingSink()
    services.runs.route("console", OneSink(sink))

    assert await start_issue(services.workflows, ASKER, "OPS") is None
    await services.runs.wait_idle()

    assert "checkout returns a 500 since the deploy" in sink.text
