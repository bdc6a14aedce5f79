"""Conversations and their messages on SQLite and PostgreSQL: one conversation per thread however
many open it at once, history in order, any text stored verbatim, a question and its run together."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.ports import Turn
from bot.store.models import Conversation, Message
from bot.store.store import Store

# --- conversations ----------------------------------------------------------------------------


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


# --- messages and history ---------------------------------------------------------------------


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


# --- questions --------------------------------------------------------------------------------


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
