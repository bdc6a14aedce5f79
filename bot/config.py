"""Settings: read once from the environment (or `.env`), validated, secrets kept as SecretStr.

`Settings.load()` turns any validation problem into a `ConfigError` naming the variable and
what is expected; the offending value is never echoed, because it may be a secret.
Each field's description, topic and the commands that need it are what `chatops --help` shows.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError
from bot.pricing import parse_prices

Mode = Literal[
    "serve", "socket", "console", "demo", "doctor", "migrate", "runs", "run", "usage", "mcp", "eval"
]

DEFAULT_OPENAI_URL = "https://api.openai.com/v1"
DEFAULT_ANTHROPIC_URL = "https://api.anthropic.com"

Topic = Literal[
    "slack",
    "slack-events",
    "socket-mode",
    "database",
    "jira",
    "github",
    "llm",
    "cost",
    "runs",
    "server",
    "logging",
    "writes",
    "mcp",
]


def _env(
    topic: Topic | tuple[Topic, ...], description: str, *, required_for: tuple[Mode, ...] = (), **field: Any
) -> Any:
    """A setting's Field, with what ``chatops COMMAND --help`` says of it: its topics (the commands
    reading a topic list it), what it is for, and which commands cannot start without it."""
    if "default_factory" not in field:
        field.setdefault("default", None)
    topics = list(topic) if isinstance(topic, tuple) else [topic]
    extra: dict[str, Any] = {"topics": topics, "required_for": list(required_for)}
    return Field(description=description, json_schema_extra=extra, **field)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    slack_bot_token: SecretStr | None = _env(
        "slack",
        "the bot token (xoxb-...) from your Slack app's OAuth & Permissions page",
        required_for=("serve", "socket"),
    )
    slack_signing_secret: SecretStr | None = _env(
        "slack-events",
        "the signing secret from your Slack app's Basic Information page",
        required_for=("serve",),
    )
    slack_app_token: SecretStr | None = _env(
        "socket-mode", "the app-level token (xapp-...) with connections:write", required_for=("socket",)
    )
    slack_api_url: str = _env("slack", "Slack's Web API base URL", default="https://slack.com/api/")

    database_url: str = _env(
        "database",
        "SQLAlchemy URL: a SQLite file, or PostgreSQL for a fleet",
        default="sqlite:///./chatops.db",
    )

    jira_base_url: str | None = _env("jira", "e.g. https://acme.atlassian.net; unset: no Jira tools")
    jira_email: str | None = _env("jira", "Jira Cloud: the account's email (Basic auth, with JIRA_API_TOKEN)")
    jira_api_token: SecretStr | None = _env("jira", "Jira Cloud: an API token for JIRA_EMAIL")
    jira_pat: SecretStr | None = _env(
        "jira", "Jira Data Center: a personal access token, instead of the two above"
    )

    github_token: SecretStr | None = _env(
        "github", "a GitHub token; unset (and no GitHub App): no GitHub tools"
    )
    github_api_url: str = _env(
        "github", "GitHub's API (Enterprise: https://HOST/api/v3)", default="https://api.github.com"
    )
    github_app_id: str | None = _env("github", "a GitHub App instead of a token: its id (set all three)")
    github_app_private_key: SecretStr | None = _env(
        "github", "the App's private key: the PEM text, or a path to it"
    )
    github_app_installation_id: str | None = _env("github", "the App installation's id")

    # Allowlists enforced before any request.
    jira_projects: Annotated[list[str], NoDecode] = _env(
        "jira", "projects the bot may read, e.g. OPS,PAY; empty: all the token sees", default_factory=list
    )
    github_repos: Annotated[list[str], NoDecode] = _env(
        "github",
        "repositories it may read, e.g. acme/api,acme/*; empty: all the token sees",
        default_factory=list,
    )

    llm_provider: Literal["openai", "anthropic"] = _env(
        "llm", "openai (any chat-completions endpoint) or anthropic", default="openai"
    )
    llm_base_url: str | None = _env(
        "llm", "the endpoint (Azure, Ollama, vLLM, OpenRouter...); unset: the provider's"
    )
    llm_api_key: SecretStr | None = _env(
        "llm",
        "the LLM's API key (a local LLM_BASE_URL that takes none can do without)",
        required_for=("serve", "socket", "console"),
    )
    llm_model: str = _env(("llm", "cost"), "the model name", default="gpt-4o-mini")
    llm_image_input: bool | None = _env(
        "llm", "whether the model takes images (attached screenshots); unset: pydantic-ai's profile of it"
    )
    llm_prices: str = _env(
        "cost", "USD per million tokens, beyond bot/pricing.py's: model=in:out,model=in:out", default=""
    )
    otel_exporter_otlp_endpoint: str | None = _env(
        "runs", "OpenTelemetry collector for run spans (needs the otel extra); unset: none"
    )

    port: int = _env(
        "server", "the HTTP port: serve's Slack endpoint; socket's /healthz", default=3000, ge=1, le=65535
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = _env(
        "logging",
        "DEBUG, INFO, WARNING or ERROR (DEBUG adds tracebacks to failures); unset: WARNING for the "
        "console and reports, INFO otherwise",
        default="INFO",
    )
    log_format: Literal["json", "console"] = _env("logging", "console or json", default="console")

    # Operational limits; defaults suit a single small process.
    max_concurrent_runs: int = _env("runs", "runs this process works on at once", default=8, ge=1, le=256)
    run_timeout_seconds: float = _env("runs", "the time budget of one run", default=120.0, gt=0)
    shutdown_grace_seconds: float = _env(
        "runs", "how long a stopping process lets runs finish", default=20.0, ge=0
    )
    # Durable runs (DBOS).
    executor_id: str | None = _env(
        "runs",
        "this replica's name for durable runs: stable across restarts, unique in the fleet",
        max_length=100,
    )
    max_concurrent_runs_fleet: int | None = _env(
        "runs", "a cap on runs across all processes; unset: none", ge=1, le=10000
    )
    dbos_system_database_url: str | None = _env(
        "database", "the durable engine's own database; unset: beside DATABASE_URL"
    )
    agent_max_steps: int = _env("runs", "LLM requests one run may make", default=8, ge=1, le=50)
    max_question_chars: int = _env("runs", "the longest question taken", default=4000, ge=1)
    tool_output_chars: int = _env("runs", "how much of one tool result the LLM reads", default=6000, ge=200)
    http_timeout_seconds: float = _env(
        ("runs", "jira", "github"), "timeout of each Jira and GitHub request", default=10.0, gt=0
    )
    retention_days: int = _env(
        "runs",
        "conversations and runs untouched this long are deleted; 0 keeps all",
        default=90,
        ge=0,
        le=36500,
    )

    write_users: Annotated[list[str], NoDecode] = _env(
        "writes", "Slack user ids who may approve writes; empty: everyone", default_factory=list
    )
    write_channels: Annotated[list[str], NoDecode] = _env(
        "writes", "channel ids where writes may be approved; empty: all", default_factory=list
    )
    approval_ttl_minutes: float = _env(
        "writes", "how long a proposed write waits for its decision", default=15.0, gt=0, le=7 * 24 * 60
    )
    answer_footer: bool = _env(
        "writes", "tools, tokens and seconds under each answer; false hides it", default=True
    )
    standup_teams: Annotated[dict[str, list[str]], NoDecode] = _env(
        "writes", "/standup teams, e.g. payments=OPS acme/payments; web=WEB acme/web", default_factory=dict
    )
    mcp_config: Path | None = _env(
        "mcp",
        "a JSON file of the team's MCP servers (mcpServers: url or command, plus allow, deny, "
        "channels, read_only, trust_annotations); unset: none",
    )
    mcp_host: str = _env(
        "mcp",
        "chatops mcp over HTTP: the address it listens on (127.0.0.1: this machine only)",
        default="127.0.0.1",
    )
    mcp_port: int = _env("mcp", "chatops mcp over HTTP: its port", default=3001, ge=1, le=65535)
    mcp_server_token: SecretStr | None = _env(
        "mcp",
        "chatops mcp over HTTP: the bearer token every request must carry (required for HTTP, "
        "not for --stdio)",
    )
    mcp_approval_channel: str | None = _env(
        "mcp",
        "the Slack channel id where writes asked through chatops mcp wait for approval (needs "
        "SLACK_BOT_TOKEN); unset: chatops mcp serves reads only",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("jira_projects", mode="before")
    @classmethod
    def _project_keys(cls, value: object) -> object:
        keys = _split(value)
        for key in keys:
            if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,9}", key.upper()):
                raise ValueError(f"expected comma-separated Jira project keys such as OPS,PAY (got {key!r})")
        return [key.upper() for key in keys]

    @field_validator("github_repos", mode="before")
    @classmethod
    def _repos(cls, value: object) -> object:
        repos = _split(value)
        for repo in repos:
            if not re.fullmatch(r"[A-Za-z0-9_.-]+/(\*|[A-Za-z0-9_.-]+)", repo):
                raise ValueError(f"expected comma-separated owner/repo or owner/* entries (got {repo!r})")
        return [repo.lower() for repo in repos]

    @field_validator("write_users", "write_channels", mode="before")
    @classmethod
    def _slack_ids(cls, value: object) -> object:
        ids = _split(value)
        for slack_id in ids:
            if not re.fullmatch(r"[A-Z0-9]{2,32}", slack_id):
                raise ValueError(f"expected comma-separated Slack ids such as U012AB3CD (got {slack_id!r})")
        return ids

    @field_validator("llm_prices")
    @classmethod
    def _prices(cls, value: str) -> str:
        parse_prices(value)  # raises ValueError naming the bad entry
        return value

    @field_validator("standup_teams", mode="before")
    @classmethod
    def _teams(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        teams: dict[str, list[str]] = {}
        for entry in (part.strip() for part in value.split(";")):
            name, _, words = entry.partition("=")
            scope = words.replace(",", " ").split()
            valid = all(
                re.fullmatch(r"[A-Z][A-Z0-9_]{1,9}|[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", w) for w in scope
            )
            if entry and not (re.fullmatch(r"[a-z0-9_-]{1,40}", name.strip()) and scope and valid):
                raise ValueError(
                    f"expected team=PROJECT owner/repo entries separated by ; (got {entry[:40]!r})"
                )
            if entry:
                teams[name.strip()] = scope
        return teams

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("jira_base_url", "github_api_url", "llm_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("mcp_config", mode="before")
    @classmethod
    def _unset_if_empty(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("mcp_approval_channel", mode="before")
    @classmethod
    def _channel_id(cls, value: object) -> object:
        if not isinstance(value, str) or not value.strip():
            return None
        if not re.fullmatch(r"[A-Z0-9]{2,32}", value.strip()):
            raise ValueError(f"expected a Slack channel id such as C012AB3CD (got {value[:40]!r})")
        return value.strip()

    @classmethod
    def load(cls, mode: Mode, **overrides: object) -> Settings:
        """Read and validate settings for one CLI mode, or raise ConfigError."""
        try:
            settings = cls(**overrides)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise _config_error(exc) from None
        settings.require(mode)
        return settings

    def require(self, mode: Mode) -> None:
        if mode in ("serve", "socket"):
            _require_token(self.slack_bot_token, "SLACK_BOT_TOKEN", "xoxb-")
        if mode == "serve":
            _require_secret(self.slack_signing_secret, "SLACK_SIGNING_SECRET")
        if mode == "socket":
            _require_token(self.slack_app_token, "SLACK_APP_TOKEN", "xapp-")
        app_settings = (self.github_app_id, self.github_app_private_key, self.github_app_installation_id)
        if any(app_settings) and not all(app_settings):
            missing = [
                name for name, value in zip(_GITHUB_APP_VARIABLES, app_settings, strict=True) if not value
            ]
            raise ConfigError(
                missing[0], "set GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID"
            )
        if self.jira_base_url and not self.jira_enabled:
            raise ConfigError("JIRA_API_TOKEN", "set JIRA_EMAIL and JIRA_API_TOKEN, or JIRA_PAT")
        if not self.database_url.strip():
            raise ConfigError("DATABASE_URL", "expected a SQLAlchemy URL such as sqlite:///./chatops.db")

    @property
    def jira_enabled(self) -> bool:
        has_basic = bool(self.jira_email and self.jira_api_token)
        return bool(self.jira_base_url) and (has_basic or self.jira_pat is not None)

    @property
    def github_enabled(self) -> bool:
        return self.github_token is not None or self.github_app_enabled

    @property
    def github_app_enabled(self) -> bool:
        return bool(self.github_app_id and self.github_app_private_key and self.github_app_installation_id)

    @property
    def llm_url(self) -> str:
        if self.llm_base_url:
            return self.llm_base_url
        return DEFAULT_ANTHROPIC_URL if self.llm_provider == "anthropic" else DEFAULT_OPENAI_URL


_GITHUB_APP_VARIABLES = ("GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_INSTALLATION_ID")


def mcp_environ() -> dict[str, str]:
    """What ``${VAR}`` in MCP_CONFIG reads: the environment, over the variables of `.env`
    (where secrets such as a server's token usually live), as for the settings themselves."""
    dotenv = {name: value for name, value in dotenv_values(".env").items() if value is not None}
    return {**dotenv, **os.environ}


def _split(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return [str(part).strip() for part in value if str(part).strip()]
    return value  # type: ignore[return-value]  # pydantic reports the wrong type


def _require_secret(value: SecretStr | None, variable: str) -> None:
    if value is None or not value.get_secret_value().strip():
        raise ConfigError(variable, "is required for this command")


def _require_token(value: SecretStr | None, variable: str, prefix: str) -> None:
    _require_secret(value, variable)
    assert value is not None
    if not value.get_secret_value().startswith(prefix):
        raise ConfigError(variable, f"expected a token starting with {prefix!r}")


def _config_error(exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    variable = str(first["loc"][0]).upper() if first["loc"] else "settings"
    expected = first["msg"].removeprefix("Value error, ")
    return ConfigError(variable, expected)


# Where the terminal is the output (the console's chat, a report's table), INFO lines from alembic,
# httpx and DBOS do not belong; the long-running edges log at INFO.
_QUIET_BY_DEFAULT = frozenset({"console", "runs", "run", "usage"})


def log_level(settings: Settings, command: str) -> str:
    """The level ``command`` logs at: LOG_LEVEL when it is set (environment or .env); else INFO,
    or WARNING where the terminal is the output (the console, reports)."""
    if command in _QUIET_BY_DEFAULT and "log_level" not in settings.model_fields_set:
        return "WARNING"
    return settings.log_level
