"""Alembic migrations of the bot's tables; driven by ``bot.store.schema``, not by an alembic.ini."""
