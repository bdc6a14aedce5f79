"""The Slack app manifest declares what link unfurls need (read as text: YAML is no dependency)."""

from __future__ import annotations

import re
from pathlib import Path

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yml"


def _list_under(text: str, key: str) -> list[str]:
    """The ``- item`` lines right under ``key:``, without comments."""
    block = re.search(rf"^(\s*){key}:\s*\n((?:\1\s+- .*\n)+)", text, re.MULTILINE)
    assert block is not None, f"{key} is missing"
    return [line.split("#")[0].strip().removeprefix("- ").strip() for line in block.group(2).splitlines()]


def test_unfurls_are_declared() -> None:
    text = MANIFEST.read_text("utf-8")

    assert "github.com" in _list_under(text, "unfurl_domains")
    assert {"links:read", "links:write"} <= set(_list_under(text, "bot"))
    assert "link_shared" in _list_under(text, "bot_events")
