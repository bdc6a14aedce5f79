"""Where each user is: the channel they were last seen viewing beside the app's Messages tab.

Slack tells with ``app_context_changed`` while the tab is open; any process of the fleet may
receive it and any may answer the user's next DM question, so it is kept here, one row per
(team, user), the latest change winning. A change to something that is not a channel (or to
nothing) forgets the row: an answer never uses a channel the user has left.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, delete, select

from bot.store.database import Database
from bot.store.models import ViewedChannel, utcnow


class Viewing(Database):
    """The channel each user is viewing (a ``bot.ports.ViewedChannels``)."""

    async def remember_viewed_channel(self, team_id: str, user_id: str, channel_id: str | None) -> None:
        """``user_id`` now views ``channel_id``; None: nothing we can use (the row is forgotten)."""
        if not channel_id:
            async with self.writing() as session:
                await session.exec(
                    delete(ViewedChannel).where(
                        col(ViewedChannel.team_id) == team_id, col(ViewedChannel.user_id) == user_id
                    )
                )
            return
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        values = {"channel_id": channel_id, "seen_at": utcnow()}
        statement = (
            dialect.insert(ViewedChannel)
            .values(team_id=team_id, user_id=user_id, **values)
            .on_conflict_do_update(index_elements=["team_id", "user_id"], set_=values)
        )
        async with self.writing() as session:
            await session.exec(statement)

    async def viewed_channel(self, team_id: str, user_id: str) -> str | None:
        """The channel ``user_id`` is viewing now, as far as Slack told; None when unknown."""
        query = select(ViewedChannel.channel_id).where(
            ViewedChannel.team_id == team_id, ViewedChannel.user_id == user_id
        )
        async with self.reading() as session:
            return (await session.exec(query)).first()
