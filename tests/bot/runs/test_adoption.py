"""Adoption on SQLite and PostgreSQL: a sweep hands over the runs of executors that left or went
silent long ago — once, whichever process sweeps — and never those of a live one or its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col

from bot.runs import Adoption, RunControl
from bot.services import Services
from bot.store import Store, utcnow
from bot.store.models import Executor

APP = "chatops"


@pytest.fixture
async def control(services: Services) -> AsyncIterator[RunControl]:
    await services.runs.start()
    engine = services.runs.engine
    assert engine is not None
    opened = await RunControl.open(
        services.store, services.settings.database_url, system_url=engine.system_url, app_name=APP
    )
    yield opened
    opened.close()


async def _executor(
    store: Store, executor_id: str, *, silent: timedelta = timedelta(0), left: bool = False
) -> None:
    await store.executor_started(executor_id, app_name=APP, host="h", pid=1)
    if left:
        await store.executor_left(executor_id)
    beat = utcnow() - silent
    values = {"beat_at": beat, **({"left_at": beat} if left else {})}
    async with store.writing() as session:
        await session.exec(
            sa.update(Executor).where(col(Executor.executor_id) == executor_id).values(**values)
        )


async def test_only_executors_that_left_or_went_silent_long_ago_are_adopted_and_only_once(
    services: Services, control: RunControl
) -> None:
    store = services.store
    await _executor(store, "left", silent=timedelta(seconds=30), left=True)
    await _executor(store, "silent", silent=timedelta(minutes=5))
    await _executor(store, "live", silent=timedelta(seconds=3))
    await _executor(store, "just-left", silent=timedelta(seconds=1), left=True)
    await _executor(store, "me", silent=timedelta(minutes=5), left=True)

    adoption = Adoption(control, store, app_name=APP, me="me")
    assert await adoption.sweep() == []  # none of them had unfinished runs
    remaining = {executor.executor_id for executor in await store.executors()}
    assert remaining - {_own(services)} == {"live", "just-left", "me"}


async def test_an_executor_of_another_app_is_not_adopted(services: Services, control: RunControl) -> None:
    await services.store.executor_started("console-1", app_name="chatops-console-x", host="h", pid=1)
    await services.store.executor_left("console-1")
    async with services.store.writing() as session:
        await session.exec(
            sa.update(Executor)
            .where(col(Executor.executor_id) == "console-1")
            .values(beat_at=utcnow() - timedelta(hours=1), left_at=utcnow() - timedelta(hours=1))
        )
    await Adoption(control, services.store, app_name=APP, me="me").sweep()
    remaining = {executor.executor_id for executor in await services.store.executors()}
    assert remaining - {_own(services)} == {"console-1"}


def _own(services: Services) -> str:
    assert services.runs.engine is not None
    return services.runs.engine.executor_id
