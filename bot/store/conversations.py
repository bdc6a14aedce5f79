"""Conversations, one per Slack thread (team, channel, thread root ts), and their messages.

A thread's conversation is created on first use; concurrent callers (two processes answering
the same thread) still end up with one row, thanks to its unique key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.ports import Role, Turn
from bot.store.database import Database
from bot.store.models import MESSAGE_ROLES, RUN_TRIGGERS, Conversation, Message, Run
from bot.store.text import clean_text


@dataclass(frozen=True, slots=True)
class StoredQuestion:
    """What ``Conversations.open_question`` wrote: the thread's conversation, the question, its run."""

    conversation_id: int
    message_id: int
    run_id: str


class Conversations(Database):
    """Threads' conversations and the messages in them."""

    async def find_conversation(self, team_id: str, channel_id: str, thread_ts: str) -> int | None:
        async with self.reading() as session:
            return await conversation_id(session, team_id, channel_id, thread_ts)

    async def open_conversation(self, team_id: str, channel_id: str, thread_ts: str) -> int:
        """The conversation of this thread, created on first use; concurrent callers get the same id."""
        found = await self.find_conversation(team_id, channel_id, thread_ts)
        if found is not None:
            return found
        try:
            async with self.writing() as session:
                return await _conversation_made(session, team_id, channel_id, thread_ts)
        except IntegrityError:
            # Another process inserted it between our read and write (possible outside SQLite).
            found = await self.find_conversation(team_id, channel_id, thread_ts)
            if found is None:
                raise
            return found

    async def open_question(
        self, team_id: str, channel_id: str, thread_ts: str, *, text: str, trigger: str, user_id: str
    ) -> StoredQuestion:
        """A question and its queued run, with the thread's conversation created on first use, in one
        transaction: never a question without its run, and one writer's turn instead of three (a
        burst of questions queues behind SQLite's single writer)."""
        if trigger not in RUN_TRIGGERS:
            raise ValueError(f"unknown run trigger {trigger!r}")
        for attempt in range(2):
            try:
                async with self.writing() as session:
                    conversation = await _conversation_made(session, team_id, channel_id, thread_ts)
                    message = Message(conversation_id=conversation, role="user", text=clean_text(text))
                    run = Run(conversation_id=conversation, trigger=trigger, user_id=user_id)
                    session.add_all([message, run])
                    await session.flush()
                    assert message.id is not None
                    return StoredQuestion(conversation, message.id, run.id)
            except IntegrityError:
                # Another process created the conversation between our read and our insert
                # (possible outside SQLite); the second attempt finds it.
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def add_message(
        self, conversation_id: int, role: Role, text: str, *, run_id: str | None = None
    ) -> int:
        if role not in MESSAGE_ROLES:
            raise ValueError(f"unknown message role {role!r}")
        async with self.writing() as session:
            message = Message(
                conversation_id=conversation_id, role=role, text=clean_text(text), run_id=run_id
            )
            session.add(message)
            await session.flush()
            assert message.id is not None
            return message.id

    async def history(
        self, conversation_id: int, *, before_message_id: int | None = None, limit: int = 40
    ) -> list[Turn]:
        """The last ``limit`` messages (before ``before_message_id`` if given), oldest first."""
        if limit <= 0:
            return []
        query = select(Message).where(Message.conversation_id == conversation_id)
        if before_message_id is not None:
            query = query.where(col(Message.id) < before_message_id)
        query = query.order_by(col(Message.id).desc()).limit(limit)
        async with self.reading() as session:
            newest_first = (await session.exec(query)).all()
        return [Turn(role=cast(Role, message.role), text=message.text) for message in reversed(newest_first)]


async def conversation_id(session: AsyncSession, team_id: str, channel_id: str, thread_ts: str) -> int | None:
    """The thread's conversation id, inside a caller's transaction; None when it has none."""
    query = select(Conversation.id).where(
        Conversation.team_id == team_id,
        Conversation.channel_id == channel_id,
        Conversation.thread_ts == thread_ts,
    )
    return (await session.exec(query)).first()


async def _conversation_made(session: AsyncSession, team_id: str, channel_id: str, thread_ts: str) -> int:
    """The thread's conversation id, inserting the conversation if it has none yet."""
    found = await conversation_id(session, team_id, channel_id, thread_ts)
    if found is not None:
        return found
    conversation = Conversation(team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
    session.add(conversation)
    await session.flush()
    assert conversation.id is not None
    return conversation.id
