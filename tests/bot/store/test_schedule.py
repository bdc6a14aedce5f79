"""Due times of scheduled digests: weekdays, local wall-clock time, DST transitions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.errors import InputRejected
from bot.store.schedule import ScheduleSpec, parse_days, parse_spec

BERLIN_WEEKDAYS = ScheduleSpec((0, 1, 2, 3, 4), time(9, 30), "Europe/Berlin")


def test_the_command_text_gives_days_time_zone_and_scope() -> None:
    spec, scope = parse_spec("weekdays 09:30 Europe/Berlin OPS acme/payments")
    assert spec == BERLIN_WEEKDAYS and scope == "OPS acme/payments"
    assert spec.label == "weekdays 09:30 Europe/Berlin"
    assert parse_days("mon,wed,fri") == (0, 2, 4)
    assert parse_days("fri-mon") == (0, 4, 5, 6)
    assert parse_spec("daily 7:05 utc")[0] == ScheduleSpec(tuple(range(7)), time(7, 5), "UTC")


@pytest.mark.parametrize(
    "text",
    [
        "weekdays 9.30 Europe/Berlin",
        "someday 09:30 UTC",
        "daily 24:00 UTC",
        "daily 09:30 Mars/Olympus",
        "daily",
    ],
)
def test_anything_else_is_refused_with_the_usage(text: str) -> None:
    with pytest.raises(InputRejected, match="Usage"):
        parse_spec(text)


def test_the_local_time_holds_across_the_utc_offset_change() -> None:
    assert BERLIN_WEEKDAYS.due_on(date(2026, 1, 12)) == datetime(2026, 1, 12, 8, 30, tzinfo=UTC)  # CET
    assert BERLIN_WEEKDAYS.due_on(date(2026, 7, 13)) == datetime(2026, 7, 13, 7, 30, tzinfo=UTC)  # CEST
    assert BERLIN_WEEKDAYS.due_on(date(2026, 7, 11)) is None, "a Saturday"


def test_a_time_the_clocks_skip_or_repeat_is_due_exactly_once_that_day() -> None:
    nightly = ScheduleSpec(tuple(range(7)), time(2, 30), "Europe/Berlin")
    # 2026-03-29: 02:00 → 03:00. 02:30 does not exist; due at the offset before the gap (03:30 CEST).
    spring = list(
        nightly.due_times(datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 29, 12, tzinfo=UTC))
    )
    assert spring == [datetime(2026, 3, 29, 1, 30, tzinfo=UTC)]
    # 2026-10-25: 03:00 → 02:00. 02:30 happens twice; due at the first.
    autumn = list(
        nightly.due_times(datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 25, 12, tzinfo=UTC))
    )
    assert autumn == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]


def test_latest_and_next_due() -> None:
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert BERLIN_WEEKDAYS.next_due(friday_evening) == datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # Monday
    assert BERLIN_WEEKDAYS.latest_due(
        friday_evening, not_before=datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    ) == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    assert (
        BERLIN_WEEKDAYS.latest_due(friday_evening, not_before=datetime(2026, 11, 27, 9, tzinfo=UTC)) is None
    )
