from __future__ import annotations

import re
from pathlib import Path

from bot.config import Settings
from bot.ops.placeholders import PLACEHOLDERS, placeholders_in

ENV_EXAMPLE = Path(__file__).resolve().parents[3] / ".env.example"

# What .env.example ships that works as it is, so doctor must not call it an example value.
WORKS_AS_SHIPPED = {
    ("SLACK_API_URL", "https://slack.com/api/"),
    ("DATABASE_URL", "sqlite:///./chatops.db"),
    ("RETENTION_DAYS", "90"),
    ("GITHUB_API_URL", "https://api.github.com"),
    ("APPROVAL_TTL_MINUTES", "15"),
    ("ANSWER_FOOTER", "true"),
    ("LLM_PROVIDER", "openai"),
    ("LLM_PROVIDER", "anthropic"),
    ("LLM_BASE_URL", "https://api.openai.com/v1"),
    ("LLM_MODEL", "gpt-4o-mini"),
    ("LLM_MODEL", "claude-sonnet-4-5"),
    ("LLM_BASE_URL", "http://localhost:11434/v1"),  # a local Ollama: its key is ignored
    ("LLM_API_KEY", "ollama"),
    ("LLM_MODEL", "qwen2.5:7b"),
    ("PORT", "3000"),
    ("LOG_LEVEL", "INFO"),
    ("LOG_FORMAT", "console"),
    ("LLM_IMAGE_INPUT", "false"),
}

_ASSIGNMENT = re.compile(r"#?\s*([A-Z][A-Z0-9_]*)=(.*)")


def shipped_values(text: str) -> set[tuple[str, str]]:
    """Every KEY=value of an env file, commented-out lines included (a user uncomments them)."""
    found = set()
    for line in text.splitlines():
        match = _ASSIGNMENT.fullmatch(line.strip())
        if match:
            found.add((match[1], _value(match[2])))
    return found


def _value(raw: str) -> str:
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        return raw[1:].split(raw[0], 1)[0]
    return raw.split(" #", 1)[0].strip()


def _table() -> set[tuple[str, str]]:
    return {(p.variable, example) for p in PLACEHOLDERS for example in p.examples}


def test_the_parser_reads_commented_quoted_and_annotated_lines() -> None:
    text = '# A comment.\nA=1\n# B=two\n# C="x; y"   # why\nD=console   # or json\n'
    assert shipped_values(text) == {("A", "1"), ("B", "two"), ("C", "x; y"), ("D", "console")}


def test_every_value_env_example_ships_is_a_known_placeholder_or_works_as_shipped() -> None:
    shipped = shipped_values(ENV_EXAMPLE.read_text(encoding="utf-8"))
    assert shipped - _table() - WORKS_AS_SHIPPED == set()
    assert _table() - shipped == set(), "a placeholder .env.example no longer ships"
    assert WORKS_AS_SHIPPED - shipped == set()


def test_every_placeholder_is_a_setting() -> None:
    assert {p.variable.lower() for p in PLACEHOLDERS} <= set(Settings.model_fields)


def test_each_placeholder_is_recognised_after_the_settings_parse_it() -> None:
    for placeholder in PLACEHOLDERS:
        for example in placeholder.examples:
            settings = Settings(**{placeholder.variable.lower(): example})  # type: ignore[arg-type]
            assert placeholders_in(settings) == [placeholder], placeholder.variable


def test_values_that_work_as_shipped_and_real_values_are_not_placeholders() -> None:
    shipped = {name.lower(): value for name, value in WORKS_AS_SHIPPED}
    assert placeholders_in(Settings(**shipped)) == []  # type: ignore[arg-type]
    real = Settings(
        slack_bot_token="xoxb-123-456-abc",
        slack_signing_secret="8f14e45fceea167a5a36dedd4bea2543",
        jira_projects="OPS",
        github_repos="acme/payments",
        standup_teams="payments=OPS acme/payments",
        llm_api_key="sk-proj-abc",
    )
    assert placeholders_in(real) == []


def test_every_fix_names_its_variable_and_where_the_real_value_comes_from() -> None:
    (bot_token,) = [p for p in PLACEHOLDERS if p.variable == "SLACK_BOT_TOKEN"]
    assert bot_token.fix.startswith(
        "replace the example value of SLACK_BOT_TOKEN in .env with your bot token from https://api.slack.com/apps"
    )
    for placeholder in PLACEHOLDERS:
        assert placeholder.fix.startswith(
            f"replace the example value of {placeholder.variable} in .env with "
        )
        assert len(placeholder.source) > 20, placeholder.variable
