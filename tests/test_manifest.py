"""The Slack app manifest: Slack's own published schema accepts it (else "Create an app → From a
manifest" refuses it), and it declares what the app's listeners and link unfurls need."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator, ValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT7

from bot.slack.listeners.home import PROMPTS
from bot.slack.listeners.workflows import SHORTCUT

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "manifest.yml"
SCHEMAS = ROOT / "tests" / "specs" / "slack-manifest"
# Where the entry point's $refs point; served from the vendored files, never fetched.
SCHEMA_BASE = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"
VERSIONED = ("manifest.schema.1.0.0.json", "manifest.schema.2.0.0.json")


def _json(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text("utf-8"))
    return loaded


def _manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text("utf-8"))
    return loaded


def _validator() -> Draft7Validator:
    # The versioned files carry no $id, so their URL is given here; draft-07 like the entry point.
    registry: Registry[Any] = Registry().with_resources(
        (SCHEMA_BASE + name, DRAFT7.create_resource(_json(name))) for name in VERSIONED
    )
    schema = _json("manifest.schema.json")
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


def _problems(manifest: dict[str, Any]) -> list[str]:
    """Each violation of the versioned schema the manifest's ``major_version`` picks, with where it is.

    The entry point's ``oneOf`` would report only that no branch matched; this names the fields.
    """
    version = (manifest.get("_metadata") or {}).get("major_version", 1)
    versioned = _validator().evolve(schema={"$ref": f"{SCHEMA_BASE}manifest.schema.{version}.0.0.json"})
    return sorted({_where(leaf) for error in versioned.iter_errors(manifest) for leaf in _leaves(error)})


def _leaves(error: ValidationError) -> list[ValidationError]:
    return [leaf for child in error.context for leaf in _leaves(child)] if error.context else [error]


def _where(error: ValidationError) -> str:
    return f"{'/'.join(str(part) for part in error.absolute_path) or '(top)'}: {error.message}"


def test_slacks_published_schema_accepts_the_manifest() -> None:
    manifest = _manifest()
    assert _problems(manifest) == []
    _validator().validate(manifest)  # and through the entry point, as an editor or Slack's CLI would


def test_the_schema_check_catches_what_slack_refuses() -> None:
    manifest = _manifest()
    manifest["features"]["shortcuts"][0]["name"] = "Create Jira issue from thread"  # 29 > 24 characters
    problems = _problems(manifest)
    assert any(p.startswith("features/shortcuts/0/name:") and "too long" in p for p in problems)
    with pytest.raises(ValidationError):
        _validator().validate({**_manifest(), "unknown_top_level_key": True})


def test_the_schema_is_read_offline_only() -> None:
    manifest = _manifest()
    validator = _validator()
    unknown = {"$ref": "https://raw.githubusercontent.com/slackapi/manifest-schema/v9.9.9/x.json"}
    with pytest.raises(Unresolvable):
        validator.evolve(schema=unknown).validate(manifest)


def test_the_shortcut_is_the_one_the_app_listens_for() -> None:
    (shortcut,) = _manifest()["features"]["shortcuts"]
    assert shortcut["callback_id"] == SHORTCUT and shortcut["type"] == "message"


def test_unfurls_are_declared() -> None:
    manifest = _manifest()
    assert "github.com" in manifest["features"]["unfurl_domains"]
    assert {"links:read", "links:write"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    assert "link_shared" in manifest["settings"]["event_subscriptions"]["bot_events"]


# Everything the app asks a workspace for, and nothing more: a new scope or event is a decision.
BOT_SCOPES = {
    "app_mentions:read",
    "chat:write",
    "commands",
    "channels:history",
    "groups:history",
    "im:history",
    "links:read",
    "links:write",
    "assistant:write",  # the Messages tab's prompts, app_context_changed
    "files:read",  # attachments to a question
    "search:read.public",  # Slack discussion as evidence (Real-time Search)
}
BOT_EVENTS = {
    "app_mention",
    "message.channels",
    "message.groups",
    "message.im",
    "link_shared",
    "app_home_opened",
    "app_context_changed",
    "agent_session_stopped",
}


def test_it_targets_schema_2_with_the_agent_view() -> None:
    manifest = _manifest()
    assert manifest["_metadata"]["major_version"] == 2
    agent = manifest["features"]["agent_view"]
    assert 0 < len(agent["agent_description"]) <= 300
    assert "assistant_view" not in manifest["features"]  # the legacy experience, not both


def test_the_messages_tab_is_enabled_and_writable() -> None:
    home = _manifest()["features"]["app_home"]
    assert home["messages_tab_enabled"] is True and home["messages_tab_read_only_enabled"] is False


def test_the_suggested_prompts_are_the_ones_the_bot_sets() -> None:
    prompts = _manifest()["features"]["agent_view"]["suggested_prompts"]
    assert prompts == [{"title": p.title, "message": p.message} for p in PROMPTS]
    assert 1 <= len(prompts) <= 4


def test_exactly_the_scopes_and_events_the_features_need() -> None:
    manifest = _manifest()
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert set(scopes) == BOT_SCOPES and len(scopes) == len(BOT_SCOPES)
    assert set(events) == BOT_EVENTS and len(events) == len(BOT_EVENTS)
    assert "user" not in manifest["oauth_config"]["scopes"]  # no user token is asked for


def test_schema_2_refuses_a_fifth_prompt_and_a_long_description() -> None:
    manifest = _manifest()
    agent = manifest["features"]["agent_view"]
    agent["suggested_prompts"] = agent["suggested_prompts"] * 2
    agent["agent_description"] = "x" * 301
    problems = _problems(manifest)
    assert any(p.startswith("features/agent_view/suggested_prompts:") for p in problems)
    assert any(p.startswith("features/agent_view/agent_description:") for p in problems)
