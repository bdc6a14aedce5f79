"""chatops-bot: Slack in, agent workflows, streaming out, state in SQLite."""
