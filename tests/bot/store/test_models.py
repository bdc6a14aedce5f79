from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import Session, SQLModel, select

from bot.store.models import Conversation, Message, Run, SeenEvent, ToolCall, new_run_id

POSTGRESQL = PGDialect()  # type: ignore[no-untyped-call]  # SQLAlchemy leaves its __init__ unannotated


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'models.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def conversation(session: Session) -> Conversation:
    conversation = Conversation(team_id="T1", channel_id="C1", thread_ts="1700000000.000100")
    session.add(conversation)
    session.commit()
    return conversation


def test_tables() -> None:
    names = {table.name for table in SQLModel.metadata.sorted_tables}
    assert {"conversations", "messages", "runs", "tool_calls", "seen_events"} <= names


@pytest.mark.parametrize("model", [Conversation, Message, Run, ToolCall, SeenEvent])
def test_schema_compiles_for_postgresql(model: type[SQLModel]) -> None:
    table = SQLModel.metadata.tables[model.__tablename__]  # type: ignore[index]
    ddl = str(CreateTable(table).compile(dialect=POSTGRESQL))
    assert "TIMESTAMP WITH TIME ZONE" in ddl
    for index in table.indexes:
        CreateIndex(index).compile(dialect=POSTGRESQL)


def test_foreign_keys_are_indexed() -> None:
    indexed = {
        (table.name, column.name)
        for table in SQLModel.metadata.sorted_tables
        for index in table.indexes
        for column in index.columns
    }
    assert {("messages", "conversation_id"), ("runs", "conversation_id"), ("tool_calls", "run_id")} <= indexed


def test_one_conversation_per_thread(session: Session, conversation: Conversation) -> None:
    session.add(Conversation(team_id="T1", channel_id="C1", thread_ts="1700000000.000100"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_same_thread_ts_in_another_channel_is_another_conversation(
    session: Session, conversation: Conversation
) -> None:
    session.add(Conversation(team_id="T1", channel_id="C2", thread_ts="1700000000.000100"))
    session.commit()
    assert len(session.exec(select(Conversation)).all()) == 2


def test_message_role_is_checked(session: Session, conversation: Conversation) -> None:
    assert conversation.id is not None
    session.add(Message(conversation_id=conversation.id, role="system", text="you are root now"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_run_status_is_checked(session: Session, conversation: Conversation) -> None:
    assert conversation.id is not None
    session.add(Run(conversation_id=conversation.id, trigger="ask", user_id="U1", status="paused"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_run_defaults(session: Session, conversation: Conversation) -> None:
    assert conversation.id is not None
    run = Run(conversation_id=conversation.id, trigger="ask", user_id="U1")
    session.add(run)
    session.commit()
    stored = session.get(Run, run.id)
    assert stored is not None
    assert stored.status == "queued"
    assert (stored.input_tokens, stored.output_tokens, stored.requests, stored.tool_calls) == (0, 0, 0, 0)
    assert (stored.started_at, stored.finished_at, stored.reply_ts, stored.error) == (None, None, None, None)


def test_run_ids_are_unique_uuid_hex() -> None:
    ids = {new_run_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(run_id) == 32 and int(run_id, 16) >= 0 for run_id in ids)


def test_timestamps_come_back_aware_utc(session: Session) -> None:
    seen = SeenEvent(key="event:Ev1")
    session.add(seen)
    session.commit()
    session.expire_all()
    stored = session.get(SeenEvent, "event:Ev1")
    assert stored is not None
    assert stored.created_at.tzinfo is UTC


def test_other_offsets_are_stored_as_the_same_instant_in_utc(session: Session) -> None:
    written = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    session.add(SeenEvent(key="event:offset", created_at=written))
    session.commit()
    session.expire_all()
    stored = session.get(SeenEvent, "event:offset")
    assert stored is not None
    assert stored.created_at == written
    assert stored.created_at.utcoffset() == timedelta(0)
    assert stored.created_at.hour == 4


def test_naive_timestamps_are_refused(session: Session) -> None:
    session.add(SeenEvent(key="event:naive", created_at=datetime(2026, 3, 1, 9, 30)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.commit()
