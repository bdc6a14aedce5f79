"""Block Kit for proposed writes: the preview with Approve / Edit / Deny, the outcome that replaces
it, and the Edit modal prefilled with the draft.

The preview is exactly what will be sent, shown verbatim (escaped, in a code block so Markdown in a
description is not rendered as if it were ours). Only ids we got from Slack become mentions, and a
result link is only a link when its host is one of ours (``LinkPolicy``). The fallback ``text`` is
what notifications show, so it is escaped like the blocks: a drafted comment saying ``<!channel>``
must not ping the channel. Length limits hold for the escaped text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.lookup import LinkPolicy
from bot.store import ApprovalRecord
from bot.text import clip, cut_index, escape, escape_clipped, link

APPROVE = "approval_approve"
EDIT = "approval_edit"
DENY = "approval_deny"
EDIT_VIEW = "approval_edit_submit"
FIELD_ACTION = "value"
FIELD_BLOCK = "field:"

SECTION_CHARS = 3000  # Slack's limit on a section's text, and on a context element's
TEXT_CHARS = 3000  # the fallback text is kept short; the blocks carry the whole preview
_PREVIEW_CHARS = 2900  # under SECTION_CHARS, leaving room for the code fence
_TOOL_CHARS = 200  # a tool's name (an MCP server names its own)
_CLIENT_CHARS = 64  # an MCP client's name, as it named itself
_RESULT_CHARS = 2000  # room is left in the outcome's section for its headline and link
_MAX_PREVIEW_SECTIONS = 40
_INPUT_CHARS = 3000  # Slack's cap on a plain_text_input's value
_LONG_FIELDS = ("description", "body")
_STATUS_MARKS = {
    "executed": ":white_check_mark:",
    "failed": ":x:",
    "denied": ":no_entry_sign:",
    "expired": ":hourglass:",
}


def proposal_blocks(
    *,
    approval_id: str,
    tool: str,
    preview: str,
    user_id: str,
    allowed: bool = True,
    refusal: str = "",
    expires_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """The proposal as shown in the thread, with its buttons."""
    asker = f"<@{user_id}>" if user_id else "the person who asked"
    blocks: list[dict[str, Any]] = [
        _section(
            f":pencil2: *Proposed change* (`{escape_clipped(tool, _TOOL_CHARS)}`), waiting for {asker}:"
        ),
        *preview_sections(preview),
    ]
    notes = [f"Only {asker} can approve, edit or deny this."]
    if expires_at is not None:
        notes.append(f"Expires <!date^{int(expires_at.timestamp())}^{{time}}|{expires_at:%H:%M} UTC>.")
    if not allowed:
        notes.append(f":no_entry: {escape(refusal) or 'You may not approve writes here.'}")
    blocks.append({"type": "context", "elements": [_mrkdwn(clip(" ".join(notes), SECTION_CHARS))]})
    blocks.append(
        {
            "type": "actions",
            "block_id": f"approval:{approval_id}",
            "elements": [
                _button("Approve", APPROVE, approval_id, style="primary"),
                _button("Edit", EDIT, approval_id),
                _button("Deny", DENY, approval_id, style="danger"),
            ],
        }
    )
    return blocks


def request_blocks(
    *, approval_id: str, client: str, action: str, tool: str, preview: str, expires_at: datetime
) -> list[dict[str, Any]]:
    """A write an MCP client asked for (`chatops mcp`), at the root of the approval channel.

    Its buttons are a proposal's (same action ids, the approval id as value), so the same
    listener decides it; there is no Edit: the client asked for exactly this.
    """
    who = escape_clipped(client, _CLIENT_CHARS)
    headline = (
        f":electric_plug: *MCP client `{who}` asks to make a change*: "
        f"{escape_clipped(action, _TOOL_CHARS)} (`{escape_clipped(tool, _TOOL_CHARS)}`)"
    )
    when = f"<!date^{int(expires_at.timestamp())}^{{time}}|{expires_at:%H:%M} UTC>"
    note = f"Anyone allowed to approve writes here (WRITE_USERS) may approve or deny. Expires {when}."
    return [
        _section(headline),
        *preview_sections(preview),
        {"type": "context", "elements": [_mrkdwn(note)]},
        {
            "type": "actions",
            "block_id": f"approval:{approval_id}",
            "elements": [
                _button("Approve", APPROVE, approval_id, style="primary"),
                _button("Deny", DENY, approval_id, style="danger"),
            ],
        },
    ]


def request_text(client: str, action: str, preview: str) -> str:
    """The notification / fallback text of an MCP client's request, neutralised like the blocks."""
    who = escape_clipped(client, _CLIENT_CHARS)
    return clip(f"MCP client {who} asks to make a change: {escape(action)}\n{escape(preview)}", TEXT_CHARS)


def proposal_text(tool: str, preview: str) -> str:
    """The notification / fallback text of a proposal, neutralised like the blocks."""
    return clip(
        f"Proposed change ({escape_clipped(tool, _TOOL_CHARS)}), waiting for approval:\n{escape(preview)}",
        TEXT_CHARS,
    )


def outcome_blocks(record: ApprovalRecord, links: LinkPolicy) -> list[dict[str, Any]]:
    """What replaces the proposal once it is decided: the result, with a link when there is one."""
    mark = _STATUS_MARKS.get(record.status, ":grey_question:")
    headline = f"{mark} *{_headline(record)}*"
    if record.result:
        headline += f"\n{escape_clipped(record.result, _RESULT_CHARS)}"
    if record.result_url and links.allows(record.result_url):
        headline += f"\n{link(record.result_url, 'Open it')}"
    elif record.result_url:
        headline += f"\n{escape_clipped(record.result_url, _RESULT_CHARS // 2)}"
    who = f" by <@{record.decided_by}>" if record.decided_by else ""
    if record.from_mcp:
        who += f", asked by MCP client `{escape_clipped(record.requester or '?', _CLIENT_CHARS)}`"
    return [
        _section(headline),
        {
            "type": "context",
            "elements": [_mrkdwn(f"`{escape_clipped(record.tool, _TOOL_CHARS)}`{who}")],
        },
        *preview_sections(record.preview),
    ]


def outcome_text(record: ApprovalRecord) -> str:
    """The notification / fallback text of a decided proposal; the result may quote upstream text."""
    return clip(f"{_headline(record)}: {escape(record.result or record.tool)}", TEXT_CHARS)


def preview_sections(preview: str) -> list[dict[str, Any]]:
    """The preview verbatim in code blocks, split across sections when it is long."""
    text = escape(preview).replace("```", "`\u200b``")
    sections: list[dict[str, Any]] = []
    while text and len(sections) < _MAX_PREVIEW_SECTIONS:
        cut = cut_index(text, _PREVIEW_CHARS) or _PREVIEW_CHARS
        sections.append(_section(f"```{text[:cut]}```"))
        text = text[cut:]
    return sections or [_section("_(empty)_")]


def edit_modal(record: ApprovalRecord, *, channel: str, message_ts: str) -> dict[str, Any]:
    """A modal with one input per argument, prefilled with the draft."""
    blocks: list[dict[str, Any]] = []
    skipped: list[str] = []
    for name, value in record.args.items():
        text = _as_text(value)
        if len(text) > _INPUT_CHARS:
            skipped.append(name)
            continue
        blocks.append(_input(name, text, multiline=name in _LONG_FIELDS or "\n" in text))
    if skipped:
        note = f"Too long to edit here, kept as proposed: {', '.join(skipped)}."
        blocks.append({"type": "context", "elements": [{"type": "plain_text", "text": note}]})
    metadata = {"approval_id": record.id, "channel": channel, "message_ts": message_ts}
    return {
        "type": "modal",
        "callback_id": EDIT_VIEW,
        "private_metadata": json.dumps(metadata),
        "title": {"type": "plain_text", "text": "Edit the change"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def submitted_arguments(record: ApprovalRecord, state: Mapping[str, Any]) -> dict[str, Any]:
    """The edited arguments from a submitted modal, typed like the draft's values."""
    values = state.get("values", {})
    edited: dict[str, Any] = {}
    for name, original in record.args.items():
        field = values.get(f"{FIELD_BLOCK}{name}", {}).get(FIELD_ACTION)
        if field is None:
            continue  # not in the form (too long to edit): kept as proposed
        edited[name] = _typed(field.get("value"), original)
    return edited


def field_block_id(name: str) -> str:
    return f"{FIELD_BLOCK}{name}"


def _typed(raw: object, original: object) -> Any:
    text = raw.strip() if isinstance(raw, str) else ""
    if isinstance(original, list):
        return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(original, bool):
        return text.lower() in ("true", "yes", "1")
    if isinstance(original, int):
        return int(text) if text.lstrip("-").isdigit() else text  # the tool's model reports the error
    if original is None and not text:
        return None
    return raw if isinstance(raw, str) else ""


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _headline(record: ApprovalRecord) -> str:
    return {
        "executed": "Done",
        "failed": "The change failed",
        "denied": "Denied; nothing was changed",
        "expired": "Expired; nothing was changed",
    }.get(record.status, record.status)


def _input(name: str, value: str, *, multiline: bool) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": FIELD_ACTION,
        "multiline": multiline,
        "max_length": _INPUT_CHARS,
    }
    if value:
        element["initial_value"] = value
    return {
        "type": "input",
        "block_id": field_block_id(name),
        "optional": True,  # the tool's argument model decides what is required
        "label": {"type": "plain_text", "text": name.replace("_", " ").capitalize()[:2000]},
        "element": element,
    }


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(clip(text, SECTION_CHARS))}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button
