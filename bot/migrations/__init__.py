"""Alembic migrations of the bot's tables; driven by ``bot.schema``, not by an alembic.ini."""
