"""The ``MCP_CONFIG`` file: the team's MCP servers, each with its transport and tool policy.

The file has the common ``mcpServers`` shape (Claude Desktop, Cursor, pydantic-ai's
``load_mcp_toolsets``): a server has ``url`` (+ ``headers``) or ``command`` (+ ``args``, ``env``,
``cwd``), and ``${VAR}`` / ``${VAR:-default}`` in those values are expanded from the environment.
Our own per-server keys say which tools may be called (``allow``, ``deny``), in which channels
(``channels``), which are reads (``read_only``, ``trust_annotations``), and how long one call
may take (``timeout``, seconds).

Stricter than ``load_mcp_toolsets`` on purpose: an unknown key is an error (a typo such as
``alow`` must not allow every tool), ``url`` together with ``command`` is an error rather than
"command wins", and ``disabled: true`` skips the server. ``type`` and ``description`` are
accepted and ignored. Errors are one-line ``ConfigError``s naming the file, the server and the
key; values are never echoed, since headers and env hold secrets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.errors import ConfigError

VARIABLE = "MCP_CONFIG"
ToolKind = Literal["read", "write", "filtered"]

DEFAULT_TIMEOUT_SECONDS = 20.0
MAX_TIMEOUT_SECONDS = 600.0
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_TRANSPORT_KEYS = frozenset({"url", "headers", "command", "args", "env", "cwd"})
_POLICY_KEYS = frozenset({"allow", "deny", "channels", "read_only", "trust_annotations", "timeout"})
_IGNORED_KEYS = frozenset({"type", "description", "disabled"})
_KNOWN_KEYS = _TRANSPORT_KEYS | _POLICY_KEYS | _IGNORED_KEYS
# pydantic-ai's own pattern, so a file means the same to both loaders.
_REFERENCE = re.compile(r"\$\{([^}:]+)(:-([^}]*))?\}")
# The server's name prefixes its tools' names, which model APIs limit to [A-Za-z0-9_-].
_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
_CHANNEL_ID = re.compile(r"[A-Z0-9]{2,32}")


class HTTPTransport(BaseModel):
    """A server reached over Streamable HTTP (or SSE, for a URL ending in ``/sse``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    headers: dict[str, str] = Field(default_factory=dict, repr=False)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http:// or https:// URL")
        return value

    @property
    def loopback(self) -> bool:
        return urlsplit(self.url).hostname in LOOPBACK_HOSTS


class StdioTransport(BaseModel):
    """A server we start as our child process and talk to over its stdin and stdout."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    command: str = Field(min_length=1)
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict, repr=False)
    cwd: str | None = None


class MCPServerConfig(BaseModel):
    """One MCP server and its tool policy.

    ``allow`` None: every tool not in ``deny``; ``channels`` None: every channel. By default the
    server's ``readOnlyHint`` annotations are trusted only when it runs on this machine (a stdio
    child, or a URL on loopback): a remote server's hints are its own claims, and a wrong one
    would skip the approval of a write.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    transport: HTTPTransport | StdioTransport
    allow: list[str] | None = None
    deny: list[str] = Field(default_factory=list)
    channels: list[str] | None = None
    read_only: list[str] = Field(default_factory=list)
    # A JSON true or false only: a quoted "yes" is a mistake to report, not a value to guess.
    trust_annotations: bool = Field(strict=True)
    # Seconds one call (or listing) may take before the server counts as unavailable for it.
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @field_validator("channels")
    @classmethod
    def _channel_ids(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not all(_CHANNEL_ID.fullmatch(channel) for channel in value):
            raise ValueError("expected Slack channel ids such as C0123ABCD")
        return value

    @field_validator("timeout", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> float:
        # A JSON number only: "20" or true are mistakes to report, not values to guess.
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        if number is None or not 0 < number <= MAX_TIMEOUT_SECONDS:
            raise ValueError(f"expected seconds, a number above 0 and at most {MAX_TIMEOUT_SECONDS:g}")
        return float(number)

    @property
    def local(self) -> bool:
        return _runs_here(self.transport)


def tool_kind(server: MCPServerConfig, tool_name: str, annotations: Mapping[str, Any] | None) -> ToolKind:
    """Whether the agent may not call ``tool_name`` ("filtered"), may call it freely ("read"), or
    only after Approve ("write"). ``annotations`` are the tool's MCP annotations (camelCase)."""
    if tool_name in server.deny or (server.allow is not None and tool_name not in server.allow):
        return "filtered"
    if tool_name in server.read_only:
        return "read"
    if server.trust_annotations and annotations and annotations.get("readOnlyHint") is True:
        return "read"
    return "write"


def usable_in(server: MCPServerConfig, channel_id: str) -> bool:
    """Whether the agent may use ``server``'s tools in a run asked from ``channel_id``."""
    return server.channels is None or channel_id in server.channels


def load_mcp_config(path: Path, environ: Mapping[str, str]) -> list[MCPServerConfig]:
    """The enabled servers of the file at ``path``, with ``${VAR}`` expanded from ``environ``;
    ConfigError (one line, no values) when the file or a server is not usable."""
    servers: list[MCPServerConfig] = []
    for name, entry in _read(path).items():
        where = f"server {name!r} in {path}"
        if not isinstance(entry, dict):
            raise ConfigError(VARIABLE, f"{where} is not a JSON object")
        if _disabled(entry, where):
            continue
        servers.append(_server(name, entry, environ, where))
    return servers


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(VARIABLE, f"cannot read {path} ({exc.strerror or type(exc).__name__})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problem = f"line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
        raise ConfigError(VARIABLE, f"{path} is not valid JSON ({problem})") from None
    servers = document.get("mcpServers") if isinstance(document, dict) else None
    if not isinstance(servers, dict):
        raise ConfigError(VARIABLE, f'{path} has no "mcpServers" object')
    return servers


def _disabled(entry: dict[str, Any], where: str) -> bool:
    disabled = entry.get("disabled", False)
    if not isinstance(disabled, bool):
        raise ConfigError(VARIABLE, f"{where}: disabled must be true or false")
    return disabled


def _server(name: str, entry: dict[str, Any], environ: Mapping[str, str], where: str) -> MCPServerConfig:
    if not _NAME.fullmatch(name):
        raise ConfigError(VARIABLE, f"{where}: a name is 1-32 letters, digits, _ or -")
    unknown = sorted(set(entry) - _KNOWN_KEYS)
    if unknown:
        known = ", ".join(sorted(_KNOWN_KEYS))
        raise ConfigError(VARIABLE, f"{where} has an unknown key {unknown[0]!r} (known: {known})")
    # An explicit null means "not given", as in the other clients reading this format.
    given = {key: value for key, value in entry.items() if value is not None and key not in _IGNORED_KEYS}
    if "url" in given and "command" in given:
        raise ConfigError(VARIABLE, f"{where} has both url and command: give one")
    if "url" not in given and "command" not in given:
        raise ConfigError(VARIABLE, f"{where} needs url (an HTTP server) or command (a local one)")
    expanded = {key: _expand(value, environ, name) for key, value in given.items()}
    transport = {key: expanded.pop(key) for key in _TRANSPORT_KEYS & set(expanded)}
    kind = HTTPTransport if "url" in transport else StdioTransport
    try:
        built = kind.model_validate(transport)
        expanded.setdefault("trust_annotations", _runs_here(built))
        return MCPServerConfig.model_validate({"name": name, "transport": built, **expanded})
    except ValidationError as exc:
        raise ConfigError(VARIABLE, f"{where}: {_first_problem(exc)}") from None


def _runs_here(transport: HTTPTransport | StdioTransport) -> bool:
    return isinstance(transport, StdioTransport) or transport.loopback


def _expand(value: object, environ: Mapping[str, str], server: str) -> object:
    """``value`` with each ``${VAR}`` in its strings replaced from ``environ``."""
    if isinstance(value, str):

        def resolve(match: re.Match[str]) -> str:
            variable, default = match.group(1), match.group(3)
            if variable in environ:
                return environ[variable]
            if match.group(2) is not None:
                return default
            raise ConfigError(VARIABLE, f"server {server!r} needs ${{{variable}}}, which is not set")

        return _REFERENCE.sub(resolve, value)
    if isinstance(value, dict):
        return {key: _expand(item, environ, server) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand(item, environ, server) for item in value]
    return value


def _first_problem(exc: ValidationError) -> str:
    """The first error as ``key: what is expected``, without the input (it may be a secret)."""
    first = exc.errors()[0]
    location = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{location}: {message}" if location else message
