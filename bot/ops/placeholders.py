"""The example values `.env.example` ships, and which of them a running bot still has.

They live here rather than being read from `.env.example` because the bot may run without the
repository; a test keeps this table and the file from drifting apart. Values that work as they
are shipped (``LLM_MODEL=gpt-4o-mini``, the SQLite ``DATABASE_URL``...) are not placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from bot.config import Settings

_SLACK_APP = "https://api.slack.com/apps → your app"


@dataclass(frozen=True)
class Placeholder:
    variable: str
    examples: tuple[str, ...]
    # Where the real value comes from, completing "replace the example value of X in .env with ...".
    source: str

    @property
    def fix(self) -> str:
        return f"replace the example value of {self.variable} in .env with {self.source}"


PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder(
        "SLACK_BOT_TOKEN",
        ("xoxb-...",),
        f"your bot token from {_SLACK_APP} → OAuth & Permissions (Bot User OAuth Token, xoxb-)",
    ),
    Placeholder(
        "SLACK_SIGNING_SECRET", ("...",), f"the Signing Secret from {_SLACK_APP} → Basic Information"
    ),
    Placeholder(
        "SLACK_APP_TOKEN",
        ("xapp-...",),
        f"an app-level token (xapp-, scope connections:write) from {_SLACK_APP} → Basic Information",
    ),
    Placeholder(
        "DATABASE_URL",
        ("postgresql://chatops:password@db.internal:5432/chatops",),
        "your database's URL, or delete the line to keep the SQLite file ./chatops.db",
    ),
    Placeholder(
        "JIRA_BASE_URL",
        ("https://your-site.atlassian.net",),
        "your Jira site's address (https://<site>.atlassian.net, or your Data Center's URL)",
    ),
    Placeholder(
        "JIRA_EMAIL", ("you@example.com",), "the email of the Atlassian account that owns JIRA_API_TOKEN"
    ),
    Placeholder(
        "JIRA_API_TOKEN",
        ("...",),
        "an API token from https://id.atlassian.com/manage-profile/security/api-tokens",
    ),
    Placeholder(
        "JIRA_PAT", ("...",), "a personal access token from your Jira profile → Personal Access Tokens"
    ),
    Placeholder(
        "JIRA_PROJECTS",
        ("OPS,PAY",),
        "the keys of the Jira projects the bot may read, or delete the line to allow them all",
    ),
    Placeholder(
        "GITHUB_TOKEN",
        ("github_pat_...",),
        "a fine-grained token (read access to pull requests, issues and checks) from "
        "https://github.com/settings/personal-access-tokens",
    ),
    Placeholder("GITHUB_APP_ID", ("123456",), "the App ID from your GitHub App's settings → General"),
    Placeholder(
        "GITHUB_APP_PRIVATE_KEY",
        ("/path/to/app.private-key.pem",),
        "the path of a private key made in your GitHub App's settings → General → Private keys",
    ),
    Placeholder(
        "GITHUB_APP_INSTALLATION_ID",
        ("7890123",),
        "the number that ends the address of the App's installation page (settings → Installations)",
    ),
    Placeholder(
        "GITHUB_REPOS",
        ("acme/payments,acme/*",),
        "the repositories the bot may read (owner/repo or owner/*), or delete the line to allow them all",
    ),
    Placeholder(
        "WRITE_USERS",
        ("U012AB3CD,U045EF6GH",),
        "the member IDs of the people who may approve writes (Slack profile → ⋮ → Copy member ID), "
        "or delete the line to let everyone approve",
    ),
    Placeholder(
        "WRITE_CHANNELS",
        ("C0123OPS",),
        "the IDs of the channels where writes may be approved (channel details, at the bottom), "
        "or delete the line to allow every channel",
    ),
    Placeholder(
        "STANDUP_TEAMS",
        ("payments=OPS acme/payments; web=WEB acme/storefront",),
        "your teams, each as name=PROJECT owner/repo, separated by ;",
    ),
    Placeholder(
        "LLM_API_KEY",
        ("sk-...",),
        "your LLM provider's API key (for OpenAI: https://platform.openai.com/api-keys)",
    ),
)


def placeholders_in(settings: Settings) -> list[Placeholder]:
    """The settings whose value is still one of `.env.example`'s examples, in the table's order."""
    found = []
    for placeholder in PLACEHOLDERS:
        value = _as_text(getattr(settings, placeholder.variable.lower()))
        if value is not None and _normal(value) in {_normal(text) for text in placeholder.examples}:
            found.append(placeholder)
    return found


def _as_text(value: object) -> str | None:
    """A parsed setting written back the way `.env` spells it (lists comma-separated, teams as
    ``name=WORDS; ...``), so it can be compared with the example text."""
    if value is None:
        return None
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, dict):
        return ";".join(f"{name}={' '.join(words)}" for name, words in value.items())
    return str(value)


def _normal(text: str) -> str:
    # Validators change case and trailing slashes (JIRA_PROJECTS is upper-cased, URLs lose their "/").
    return "".join(text.split()).lower().rstrip("/")
