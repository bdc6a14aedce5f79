"""Settings: read once from the environment (or `.env`), validated, secrets kept as SecretStr.

`Settings.load()` turns any validation problem into a `ConfigError` naming the variable and
what is expected; the offending value is never echoed, because it may be a secret.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError
from bot.pricing import parse_prices

Mode = Literal["serve", "socket", "console", "demo", "doctor", "migrate", "runs", "run", "usage"]

DEFAULT_OPENAI_URL = "https://api.openai.com/v1"
DEFAULT_ANTHROPIC_URL = "https://api.anthropic.com"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"

    database_url: str = "sqlite:///./chatops.db"

    jira_base_url: str | None = None
    jira_email: str | None = None
    jira_api_token: SecretStr | None = None
    jira_pat: SecretStr | None = None

    github_token: SecretStr | None = None
    github_api_url: str = "https://api.github.com"
    github_app_id: str | None = None
    github_app_private_key: SecretStr | None = None  # the PEM text, or a path to the PEM file
    github_app_installation_id: str | None = None

    # Allowlists enforced before any request; empty means every project / repository the token sees.
    jira_projects: Annotated[list[str], NoDecode] = Field(default_factory=list)
    github_repos: Annotated[list[str], NoDecode] = Field(default_factory=list)

    llm_provider: Literal["openai", "anthropic"] = "openai"
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str = "gpt-4o-mini"
    # USD per million tokens, on top of the defaults in bot/pricing.py: "model=in:out,model=in:out".
    llm_prices: str = ""
    # OpenTelemetry export of run spans (needs the `otel` extra); unset: nothing is exported.
    otel_exporter_otlp_endpoint: str | None = None

    port: int = Field(default=3000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "console"

    # Operational limits; defaults suit a single small process.
    max_concurrent_runs: int = Field(default=8, ge=1, le=256)
    run_timeout_seconds: float = Field(default=120.0, gt=0)
    shutdown_grace_seconds: float = Field(default=20.0, ge=0)
    # Durable runs (DBOS): this replica's identity (stable across its restarts, unique in the
    # fleet), an optional cap on runs across all processes, and the engine's own database.
    executor_id: str | None = Field(default=None, max_length=100)
    max_concurrent_runs_fleet: int | None = Field(default=None, ge=1, le=10000)
    dbos_system_database_url: str | None = None
    agent_max_steps: int = Field(default=8, ge=1, le=50)
    max_question_chars: int = Field(default=4000, ge=1)
    tool_output_chars: int = Field(default=6000, ge=200)
    http_timeout_seconds: float = Field(default=10.0, gt=0)
    # Conversations and runs untouched this long are deleted by the app; 0 keeps everything.
    retention_days: int = Field(default=90, ge=0, le=36500)

    # Writes to Jira/GitHub: who may approve them at all (Slack user ids; empty = everyone), in which
    # channels (empty = all), and how long a proposal waits for its decision.
    write_users: Annotated[list[str], NoDecode] = Field(default_factory=list)
    write_channels: Annotated[list[str], NoDecode] = Field(default_factory=list)
    approval_ttl_minutes: float = Field(default=15.0, gt=0, le=7 * 24 * 60)
    # A one-line footer (tools used, tokens, seconds) under each answer; ANSWER_FOOTER=false hides it.
    answer_footer: bool = True

    # `/standup <team>`: team names and the Jira projects and repositories each means, e.g.
    # STANDUP_TEAMS="payments=OPS acme/payments; web=WEB acme/storefront".
    standup_teams: Annotated[dict[str, list[str]], NoDecode] = Field(default_factory=dict)

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
