from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import AsyncIterator, Iterator
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.errors import ConfigError, StoreBusy
from bot.events import Usage
from bot.ports import Turn
from bot.store.models import Conversation, Message
from bot.store.store import Store, clean_text


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "chatops.db"


@pytest.fixture
def db_url(db_path: Path) -> str:
    return f"sqlite:///{db_path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest, db_url: str) -> str:
    """Each backend in turn: the tests that take it must pass on SQLite and PostgreSQL alike."""
    if request.param == "sqlite":
        return db_url
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def store(any_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(any_url)
    yield opened
    await opened.close()


@pytest.fixture
async def sqlite_store(db_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(db_url)
    yield opened
    await opened.close()


@pytest.fixture
async def conversation(store: Store) -> int:
    return await store.open_conversation("T1", "C1", "1700000000.000100")


@pytest.fixture
def raw(db_path: Path, sqlite_store: Store) -> Iterator[sqlite3.Connection]:
    """A second, independent connection to the same file, as another process would have."""
    connection = sqlite3.connect(db_path, isolation_level=None)
    yield connection
    connection.close()


# --- opening and configuration ---------------------------------------------------------------


async def test_sqlite_runs_in_wal_with_busy_timeout_and_foreign_keys(db_url: str) -> None:
    store = await Store.open(db_url, busy_timeout_ms=1234)
    try:
        info = await store.diagnostics()
    finally:
        await store.close()
    assert info == {
        "backend": "sqlite",
        "journal_mode": "wal",
        "busy_timeout": "1234",
        "synchronous": "1",  # NORMAL
        "foreign_keys": "1",
    }


async def test_wal_mode_is_persistent_in_the_file(raw: sqlite3.Connection) -> None:
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError):
        await store.add_message(999, "user", "orphan")


async def test_ready(store: Store) -> None:
    assert await store.ready() is True


@pytest.mark.parametrize("url", ["sqlite+aiosqlite:///{path}", "sqlite+pysqlite:///{path}"])
async def test_explicit_drivers_are_accepted(url: str, db_path: Path) -> None:
    store = await Store.open(url.format(path=db_path))
    try:
        conversation = await store.open_conversation("T", "C", "1.0")
        await store.add_message(conversation, "user", "hello")
        assert await store.history(conversation) == [Turn("user", "hello")]
    finally:
        await store.close()


async def test_in_memory_database_takes_concurrent_work() -> None:
    store = await Store.open("sqlite:///:memory:")
    try:
        conversation = await store.open_conversation("T", "C", "1.0")
        await asyncio.gather(*(store.add_message(conversation, "user", f"m{i}") for i in range(30)))
        assert len(await store.history(conversation, limit=100)) == 30
    finally:
        await store.close()


async def test_missing_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        await Store.open(f"sqlite:///{tmp_path}/no/such/dir/chatops.db")
    assert caught.value.variable == "DATABASE_URL"
    assert "does not exist" in str(caught.value)


async def test_directory_that_is_a_file_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError) as caught:
        await Store.open(f"sqlite:///{blocker}/chatops.db")
    assert caught.value.variable == "DATABASE_URL"


async def test_path_that_cannot_be_opened_is_a_config_error(tmp_path: Path) -> None:
    # A directory where the file should be: passes the directory check, fails when SQLite opens it.
    with pytest.raises(ConfigError) as caught:
        await Store.open(f"sqlite:///{tmp_path}")
    assert caught.value.variable == "DATABASE_URL"
    assert "cannot open the database" in str(caught.value)


@pytest.fixture
def garbage_file(tmp_path: Path) -> Path:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not sqlite" * 100)
    return path


async def test_file_that_is_not_a_database_is_a_config_error(garbage_file: Path) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        await Store.open(f"sqlite:///{garbage_file}")


@pytest.mark.parametrize("url", ["not a url", "://nothing"])
async def test_malformed_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        await Store.open(url)


async def test_missing_driver_is_a_config_error_without_the_password() -> None:
    with pytest.raises(ConfigError) as caught:
        await Store.open("postgresql+asyncpg://bot:hunter2@127.0.0.1:5432/chatops")
    assert caught.value.variable == "DATABASE_URL"
    assert "hunter2" not in str(caught.value)


async def test_unreachable_postgresql_is_a_config_error_without_the_password() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConfigError) as caught:
        await Store.open(f"postgres://bot:hunter2@127.0.0.1:{port}/chatops")
    assert caught.value.variable == "DATABASE_URL"
    assert "cannot open the database" in str(caught.value)
    assert "hunter2" not in str(caught.value)


# --- concurrency -------------------------------------------------------------------------------


async def test_concurrent_writes_lose_nothing(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")

    async def tool_call(i: int) -> None:
        # Each call reads the run's counter and writes it back +1 in one transaction.
        await store.record_tool_call(
            run_id, call_id=f"c{i}", name="jira_get", arguments={"i": i}, ok=True, summary="ok", duration_ms=1
        )

    writes = [store.add_message(conversation, "user", f"message {i}") for i in range(200)]
    counted = [tool_call(i) for i in range(200)]
    results = await asyncio.gather(*writes, *counted, return_exceptions=True)

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert len(set(results[:200])) == 200
    assert len(await store.history(conversation, limit=1000)) == 200
    run = await store.get_run(run_id)
    assert run is not None
    assert run.usage.tool_calls == 200
    assert len(await store.tool_calls(run_id)) == 200


async def test_two_stores_on_one_file_lose_no_updates(any_url: str) -> None:
    # Two stores have separate pools and in-process write queues, as two processes would;
    # only SQLite's own locking (BEGIN IMMEDIATE + busy timeout) keeps their writes apart.
    one, two = await Store.open(any_url), await Store.open(any_url)
    try:
        conversation = await one.open_conversation("T1", "C1", "1.0")
        run_id = await one.create_run(conversation, trigger="ask", user_id="U1")

        async def tool_call(store: Store, i: int) -> None:
            await store.record_tool_call(
                run_id, call_id=f"c{i}", name="t", arguments={}, ok=True, summary="", duration_ms=0
            )

        results = await asyncio.gather(
            *(tool_call(one if i % 2 else two, i) for i in range(200)),
            *((one if i % 2 else two).add_message(conversation, "user", f"m{i}") for i in range(100)),
            return_exceptions=True,
        )
        run = await two.get_run(run_id)
        history = await one.history(conversation, limit=1000)
    finally:
        await one.close()
        await two.close()
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert run is not None and run.usage.tool_calls == 200
    assert len(history) == 100


async def test_concurrent_claims_of_one_key_have_one_winner(store: Store) -> None:
    results = await asyncio.gather(*(store.claim("event:Ev123") for _ in range(50)))
    assert results.count(True) == 1
    assert results.count(False) == 49


async def test_claims_of_different_keys_all_win(store: Store) -> None:
    results = await asyncio.gather(*(store.claim(f"event:Ev{i}") for i in range(20)))
    assert all(results)


async def test_claim_survives_restart(any_url: str) -> None:
    first = await Store.open(any_url)
    assert await first.claim("event:Ev1") is True
    await first.close()

    second = await Store.open(any_url)
    try:
        assert await second.claim("event:Ev1") is False
        assert await second.claim("event:Ev2") is True
    finally:
        await second.close()


async def test_claim_is_shared_between_two_stores_on_one_file(any_url: str) -> None:
    one, two = await Store.open(any_url), await Store.open(any_url)
    try:
        results = await asyncio.gather(*(s.claim("event:shared") for s in (one, two) for _ in range(10)))
    finally:
        await one.close()
        await two.close()
    assert results.count(True) == 1


async def test_open_conversation_race_makes_one_row(store: Store) -> None:
    ids = await asyncio.gather(*(store.open_conversation("T1", "C9", "1700000000.1") for _ in range(50)))
    assert len(set(ids)) == 1
    async with store.reading() as session:
        assert (await session.exec(select(func.count()).select_from(Conversation))).one() == 1
    assert await store.find_conversation("T1", "C9", "1700000000.1") == ids[0]


async def test_conversations_are_keyed_by_team_channel_and_thread(store: Store) -> None:
    keys = [("T1", "C1", "1.0"), ("T1", "C1", "2.0"), ("T1", "C2", "1.0"), ("T2", "C1", "1.0")]
    ids = [await store.open_conversation(*key) for key in keys]
    assert len(set(ids)) == 4
    assert await store.find_conversation("T3", "C1", "1.0") is None


# --- busy database (another process holds the write lock) ---------------------------------------


async def test_write_past_busy_timeout_is_store_busy(db_url: str, db_path: Path) -> None:
    store = await Store.open(db_url, busy_timeout_ms=100)
    conversation = await store.open_conversation("T", "C", "1.0")
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreBusy) as caught:
            await store.claim("event:busy")
        assert caught.value.retryable is True
        with pytest.raises(StoreBusy):
            await store.add_message(conversation, "user", "blocked")
        # WAL: readers carry on while a writer holds the lock.
        assert await store.ready() is True
        other.execute("ROLLBACK")

        # The failed claim did not mark the event as processed; the retry wins.
        assert await store.claim("event:busy") is True
        await store.add_message(conversation, "user", "through")
        assert await store.history(conversation) == [Turn("user", "through")]
    finally:
        other.close()
        await store.close()


async def test_write_waits_for_a_lock_released_within_the_busy_timeout(
    sqlite_store: Store, db_path: Path
) -> None:
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        pending = asyncio.create_task(sqlite_store.claim("event:waits"))
        await asyncio.sleep(0.2)  # let the claim reach SQLite's busy handler
        assert not pending.done()
        other.execute("ROLLBACK")
        assert await pending is True
    finally:
        other.close()


# --- messages and history ----------------------------------------------------------------------


async def test_history_is_oldest_first_and_keeps_the_last_limit(store: Store, conversation: int) -> None:
    for i in range(10):
        await store.add_message(conversation, "user" if i % 2 == 0 else "assistant", f"turn {i}")
    assert [t.text for t in await store.history(conversation)] == [f"turn {i}" for i in range(10)]
    assert await store.history(conversation, limit=3) == [
        Turn("assistant", "turn 7"),
        Turn("user", "turn 8"),
        Turn("assistant", "turn 9"),
    ]
    assert await store.history(conversation, limit=0) == []


async def test_history_before_a_message_excludes_it_and_later_ones(store: Store, conversation: int) -> None:
    ids = [await store.add_message(conversation, "user", f"turn {i}") for i in range(6)]
    assert [t.text for t in await store.history(conversation, before_message_id=ids[4])] == [
        "turn 0",
        "turn 1",
        "turn 2",
        "turn 3",
    ]
    assert [t.text for t in await store.history(conversation, before_message_id=ids[4], limit=2)] == [
        "turn 2",
        "turn 3",
    ]
    assert await store.history(conversation, before_message_id=ids[0]) == []


async def test_history_is_per_conversation(store: Store, conversation: int) -> None:
    other = await store.open_conversation("T1", "C1", "1700000000.999999")
    await store.add_message(conversation, "user", "here")
    await store.add_message(other, "user", "there")
    assert await store.history(conversation) == [Turn("user", "here")]


async def test_unknown_role_is_rejected(store: Store, conversation: int) -> None:
    with pytest.raises(ValueError):
        await store.add_message(conversation, "system", "nope")  # type: ignore[arg-type]


HOSTILE_TEXTS = [
    "abc\u202edcba",  # right-to-left override
    "zero\u200bwidth\u200cjoin\u200d\ufeff",
    "family \U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 flag \U0001f3f3\ufe0f\u200d\U0001f308",
    "'; DROP TABLE messages;--",
    'Robert"); DELETE FROM conversations; --',
    "{{7*7}} ${7*7} %s %(x)s :param ?",
    "../../etc/passwd",
    "a" * 100_000,
    "",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
async def test_text_round_trips_verbatim(store: Store, conversation: int, text: str) -> None:
    await store.add_message(conversation, "user", text)
    assert await store.history(conversation) == [Turn("user", text)]
    async with store.reading() as session:
        assert (await session.exec(select(func.count()).select_from(Message))).one() == 1


async def test_nul_is_stripped(store: Store, conversation: int) -> None:
    await store.add_message(conversation, "user", "before\x00after\x00")
    assert await store.history(conversation) == [Turn("user", "beforeafter")]


async def test_lone_surrogate_is_stored_as_replacement_character(store: Store, conversation: int) -> None:
    await store.add_message(conversation, "user", "broken \ud800 pair \U0001f600")
    assert await store.history(conversation) == [Turn("user", "broken \ufffd pair \U0001f600")]


def test_clean_text_rejoins_split_surrogate_pairs() -> None:
    assert clean_text("\ud83d\ude00") == "\U0001f600"
    assert clean_text("plain") == "plain"


# --- runs ----------------------------------------------------------------------------------------


async def test_run_lifecycle(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="mention", user_id="U42")
    queued = await store.get_run(run_id)
    assert queued is not None
    assert (queued.status, queued.started_at, queued.finished_at) == ("queued", None, None)
    assert (queued.team_id, queued.channel_id, queued.thread_ts) == ("T1", "C1", "1700000000.000100")

    await store.mark_running(run_id)
    await store.set_reply_ts(run_id, "1700000000.000200")
    finished = await store.finish_run(
        run_id, status="succeeded", usage=Usage(input_tokens=10, output_tokens=5, requests=2), answer="done"
    )

    assert finished is True
    run = await store.get_run(run_id)
    assert run is not None
    assert run.status == "succeeded" and run.finished
    assert run.reply_ts == "1700000000.000200"
    assert run.usage == Usage(input_tokens=10, output_tokens=5, requests=2, tool_calls=0)
    assert run.started_at is not None and run.finished_at is not None
    assert run.created_at.tzinfo is UTC and run.finished_at.tzinfo is UTC
    assert run.created_at <= run.started_at <= run.finished_at
    assert await store.history(conversation) == [Turn("assistant", "done")]


async def test_finish_run_is_idempotent(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    await store.mark_running(run_id)
    assert await store.finish_run(run_id, status="succeeded", usage=Usage(output_tokens=3), answer="first")
    again = await store.finish_run(
        run_id, status="failed", usage=Usage(output_tokens=99), answer="second", error="late failure"
    )

    assert again is False
    run = await store.get_run(run_id)
    assert run is not None
    assert (run.status, run.error, run.usage.output_tokens) == ("succeeded", None, 3)
    assert await store.history(conversation) == [Turn("assistant", "first")]


async def test_concurrent_finishes_record_one_outcome(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    outcomes = await asyncio.gather(
        *(store.finish_run(run_id, status="succeeded", usage=Usage(), answer=f"a{i}") for i in range(10))
    )
    assert outcomes.count(True) == 1
    assert len(await store.history(conversation)) == 1


async def test_failed_run_keeps_its_error_and_no_message(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="dm", user_id="U1")
    await store.finish_run(run_id, status="failed", usage=Usage(requests=1), error="LLM: 503\x00")
    run = await store.get_run(run_id)
    assert run is not None
    assert (run.status, run.error) == ("failed", "LLM: 503")
    assert await store.history(conversation) == []


async def test_finish_with_a_non_final_status_is_rejected(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    with pytest.raises(ValueError):
        await store.finish_run(run_id, status="running", usage=Usage())


async def test_mark_running_does_not_revive_a_finished_run(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    await store.finish_run(run_id, status="interrupted", usage=Usage())
    await store.mark_running(run_id)
    run = await store.get_run(run_id)
    assert run is not None and run.status == "interrupted"


async def test_unknown_trigger_is_rejected(store: Store, conversation: int) -> None:
    with pytest.raises(ValueError):
        await store.create_run(conversation, trigger="cron", user_id="U1")


async def test_unknown_run(store: Store) -> None:
    assert await store.get_run("0" * 32) is None
    assert await store.tool_calls("0" * 32) == []
    with pytest.raises(LookupError):
        await store.mark_running("0" * 32)


async def test_unfinished_runs_survive_a_restart(any_url: str) -> None:
    store = await Store.open(any_url)
    conversation = await store.open_conversation("T1", "C7", "1700000000.5")
    queued = await store.create_run(conversation, trigger="ask", user_id="U1")
    running = await store.create_run(conversation, trigger="followup", user_id="U2")
    await store.mark_running(running)
    await store.set_reply_ts(running, "1700000000.6")
    done = await store.create_run(conversation, trigger="ask", user_id="U3")
    await store.finish_run(done, status="succeeded", usage=Usage(), answer="ok")
    await store.close()  # as if the process died here

    reopened = await Store.open(any_url)
    try:
        unfinished = await reopened.unfinished_runs()
    finally:
        await reopened.close()
    assert [(r.id, r.status, r.user_id, r.reply_ts) for r in unfinished] == [
        (queued, "queued", "U1", None),
        (running, "running", "U2", "1700000000.6"),
    ]
    assert {(r.team_id, r.channel_id, r.thread_ts) for r in unfinished} == {("T1", "C7", "1700000000.5")}


async def test_runs_of_a_conversation_in_creation_order(store: Store, conversation: int) -> None:
    other = await store.open_conversation("T1", "C1", "1700000000.777")
    first = await store.create_run(conversation, trigger="ask", user_id="U1")
    await store.create_run(other, trigger="ask", user_id="U1")
    second = await store.create_run(conversation, trigger="followup", user_id="U1")
    assert [r.id for r in await store.runs(conversation)] == [first, second]


async def test_tool_calls_round_trip(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    arguments = {"jql": "project = OPS AND text ~ '\u202e\x00'", "limit": 5, "nested": {"ok": [True, None]}}
    await store.record_tool_call(
        run_id,
        call_id="call_1",
        name="jira_search",
        arguments=arguments,
        ok=True,
        summary="3 issues",
        duration_ms=42,
    )
    await store.record_tool_call(
        run_id, call_id="call_2", name="github_pr", arguments={}, ok=False, summary="404\x00", duration_ms=7
    )
    await store.finish_run(run_id, status="succeeded", usage=Usage(tool_calls=1), answer="x")

    calls = await store.tool_calls(run_id)
    assert [(c.call_id, c.name, c.arguments, c.ok, c.summary, c.duration_ms) for c in calls] == [
        ("call_1", "jira_search", arguments, True, "3 issues", 42),
        ("call_2", "github_pr", {}, False, "404", 7),
    ]
    run = await store.get_run(run_id)
    assert run is not None and run.usage.tool_calls == 2


async def test_feedback_latest_click_wins_and_a_changed_vote_drops_the_old_reason(
    store: Store, conversation: int
) -> None:
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    await store.record_feedback(run_id, "U1", "down")
    await store.record_feedback(run_id, "U1", "down", "missed the PR")
    await store.record_feedback(run_id, "U1", "down")  # 👎 again, dialog closed: the reason stays
    assert await store.feedback(run_id) == {"U1": ("down", "missed the PR")}

    await store.record_feedback(run_id, "U1", "up")
    await store.record_feedback(run_id, "U2", "down", "wrong sprint")
    assert await store.feedback(run_id) == {"U1": ("up", None), "U2": ("down", "wrong sprint")}
    with pytest.raises(ValueError, match="unknown feedback value"):
        await store.record_feedback(run_id, "U1", "meh")


async def test_open_question_writes_conversation_question_and_queued_run_together(store: Store) -> None:
    first = await store.open_question("T1", "C1", "1.0", text="why?", trigger="ask", user_id="U1")
    second = await store.open_question("T1", "C1", "1.0", text="and then?", trigger="followup", user_id="U1")

    assert first.conversation_id == second.conversation_id
    assert await store.find_conversation("T1", "C1", "1.0") == first.conversation_id
    assert [turn.text for turn in await store.history(first.conversation_id)] == ["why?", "and then?"]
    runs = await store.runs(first.conversation_id)
    assert [(run.id, run.trigger, run.status) for run in runs] == [
        (first.run_id, "ask", "queued"),
        (second.run_id, "followup", "queued"),
    ]


async def test_open_question_race_on_a_new_thread_makes_one_conversation(store: Store) -> None:
    stored = await asyncio.gather(
        *(
            store.open_question("T1", "C7", "2.0", text=f"q{n}", trigger="mention", user_id="U1")
            for n in range(20)
        )
    )
    assert len({question.conversation_id for question in stored}) == 1
    assert len(await store.runs(stored[0].conversation_id)) == 20


async def test_open_question_refuses_an_unknown_trigger_and_writes_nothing(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown run trigger"):
        await store.open_question("T1", "C1", "3.0", text="x", trigger="telepathy", user_id="U1")
    assert await store.find_conversation("T1", "C1", "3.0") is None
