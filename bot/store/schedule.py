"""When a scheduled digest is due: weekdays and a wall-clock time in an IANA time zone.

``weekdays 09:30 Europe/Berlin`` is due at 09:30 Berlin time each Monday to Friday, whatever
the UTC offset that day. Times are computed per local date with ``zoneinfo``: a time that a
spring-forward gap skips is due at the same offset as just before the gap (so 02:30 on the
night clocks jump from 02:00 to 03:00 is due at 03:30 local); a time that autumn repeats is due
once, at its first occurrence (``fold=0``). Each local date yields at most one due time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import InputRejected

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
USAGE = (
    "Usage: `/standup schedule <days> <HH:MM> <Time/Zone> [scope]`, e.g. "
    "`/standup schedule weekdays 09:30 Europe/Berlin OPS acme/payments`. "
    "Days: `weekdays`, `daily`, or names like `mon,wed,fri` or `mon-fri`."
)
_ALIASES = {"weekdays": DAY_NAMES[:5], "daily": DAY_NAMES, "everyday": DAY_NAMES, "weekends": DAY_NAMES[5:]}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    days: tuple[int, ...]  # 0 = Monday, as datetime.weekday()
    at: time
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def days_text(self) -> str:
        return ",".join(DAY_NAMES[day] for day in self.days)

    @property
    def label(self) -> str:
        names = {DAY_NAMES[:5]: "weekdays", DAY_NAMES: "daily", DAY_NAMES[5:]: "weekends"}
        days = names.get(tuple(DAY_NAMES[day] for day in self.days), self.days_text)
        return f"{days} {self.at:%H:%M} {self.timezone}"

    def due_on(self, local_day: date) -> datetime | None:
        """The due time (UTC) on one local date, or None when the schedule skips that weekday."""
        if local_day.weekday() not in self.days:
            return None
        local = datetime.combine(local_day, self.at, tzinfo=self.zone)  # fold=0: see the module doc
        return local.astimezone(UTC)

    def due_times(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """Due times in ``(after, until]``, oldest first."""
        day = after.astimezone(self.zone).date() - timedelta(days=1)
        last = until.astimezone(self.zone).date() + timedelta(days=1)
        while day <= last:
            due = self.due_on(day)
            if due is not None and after < due <= until:
                yield due
            day += timedelta(days=1)

    def latest_due(self, now: datetime, *, not_before: datetime) -> datetime | None:
        """The newest due time in ``[not_before, now]``: what a scheduler should have fired by now."""
        found = None
        for due in self.due_times(not_before - timedelta(microseconds=1), now):
            found = due
        return found

    def next_due(self, after: datetime) -> datetime:
        """The first due time strictly after ``after``."""
        return next(self.due_times(after, after + timedelta(days=8)))


def parse_spec(text: str) -> tuple[ScheduleSpec, str]:
    """``<days> <HH:MM> <Zone> [scope...]`` → the spec and the scope text; raises InputRejected."""
    words = text.split()
    if len(words) < 3:
        raise InputRejected(USAGE)
    days, at, zone = parse_days(words[0]), parse_time(words[1]), parse_zone(words[2])
    return ScheduleSpec(days, at, zone), " ".join(words[3:])


def parse_days(text: str) -> tuple[int, ...]:
    chosen: set[int] = set()
    for part in text.lower().split(","):
        if part in _ALIASES:
            chosen |= {DAY_NAMES.index(name) for name in _ALIASES[part]}
        elif "-" in part:
            first, _, last = part.partition("-")
            start, end = _day(first), _day(last)
            chosen |= (
                set(range(start, end + 1)) if start <= end else set(range(start, 7)) | set(range(end + 1))
            )
        else:
            chosen.add(_day(part))
    return tuple(sorted(chosen))


def parse_time(text: str) -> time:
    match = _TIME.match(text)
    if match is None:
        raise InputRejected(f"{text[:20]!r} is not a time like 09:30. {USAGE}")
    return time(int(match.group(1)), int(match.group(2)))


def parse_zone(text: str) -> str:
    if text.upper() == "UTC":
        return "UTC"
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputRejected(f"{text[:40]!r} is not a time zone like Europe/Berlin or UTC. {USAGE}") from None
    return text


def spec_of(days: str, local_time: str, timezone: str) -> ScheduleSpec:
    """The spec of a stored schedule."""
    return ScheduleSpec(parse_days(days), parse_time(local_time), timezone)


def _day(name: str) -> int:
    short = name.strip()[:3]
    if short not in DAY_NAMES:
        raise InputRejected(f"{name[:20]!r} is not a day. {USAGE}")
    return DAY_NAMES.index(short)
