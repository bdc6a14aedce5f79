"""A crash leaves runs unfinished; the next start marks them interrupted and tells each thread once."""

from __future__ import annotations

from bot.config import Settings
from bot.runs.recovery import NOTICE
from bot.store.store import Store
from tests.e2e.conftest import StartBot, Upstreams
from tests.e2e.slack_requests import ASKER, TEAM


async def test_runs_a_crash_left_behind_are_interrupted_and_their_threads_told_once(
    settings: Settings, start_bot: StartBot, upstreams: Upstreams
) -> None:
    store = await Store.open(settings.database_url)
    slack_thread = await store.open_conversation(TEAM, "C0GENERAL", "1700000000.000100")
    console_thread = await store.open_conversation("console", "console", "1700000000.000200")
    crashed = await store.create_run(slack_thread, trigger="mention", user_id=ASKER)
    await store.mark_running(crashed)
    console_run = await store.create_run(console_thread, trigger="console", user_id="me")
    await store.close()

    bot = await start_bot()
    run = await bot.services.store.get_run(crashed)
    assert run is not None and run.status == "interrupted"
    untouched = await bot.services.store.get_run(console_run)
    assert untouched is not None and untouched.status == "queued"  # the console recovers its own runs
    notices = [c for c in upstreams.slack.calls("chat.postMessage") if c.args.get("text") == NOTICE]
    assert [(c.args["channel"], c.args["thread_ts"]) for c in notices] == [("C0GENERAL", "1700000000.000100")]
    await bot.stop()

    await start_bot()  # a second restart finds nothing left to recover
    assert len([c for c in upstreams.slack.calls("chat.postMessage") if c.args.get("text") == NOTICE]) == 1
