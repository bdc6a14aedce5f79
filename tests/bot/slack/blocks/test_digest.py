"""A standup digest as a Slack message: everything escaped, links only to our sites, and every
Block Kit limit holding for the escaped text."""

from __future__ import annotations

import pytest

from bot.lookup.link_policy import LinkPolicy
from bot.slack.blocks.digest import FALLBACK_CHARS, digest_message
from bot.workflows.digest import Digest, DigestItem, DigestSection
from tests.bot.slack.blocks.block_kit import breaches, broken_entities, hostile, live_mentions, mrkdwn_texts

JIRA = "https://acme.atlassian.net"
LINKS = LinkPolicy.for_sites(jira_base_url=JIRA, github_api_url="https://api.github.com")


def _digest(text: str, *, sections: int = 1, items: int = 1) -> Digest:
    """A digest with ``text`` in every field, as long as the model's schema lets it be."""
    item = DigestItem(text=text[:300] or "x", url=f"{JIRA}/browse/OPS-1")
    section = DigestSection(title=text[:80] or "x", items=[item] * items)
    return Digest(title=text[:120] or "x", summary=text[:600], sections=[section] * sections)


def test_a_digest_is_a_header_a_summary_and_linked_items() -> None:
    digest = Digest(
        title="Standup · OPS",
        summary="One blocker & one review.",
        sections=[
            DigestSection(title="Blocked", items=[DigestItem(text="OPS-2 <b>", url=f"{JIRA}/browse/OPS-2")])
        ],
    )
    message = digest_message(digest, LINKS)
    header, summary, section = message.blocks
    assert header["text"]["text"] == "Standup · OPS"
    assert summary["text"]["text"] == "One blocker &amp; one review."
    assert section["text"]["text"] == f"*Blocked*\n• <{JIRA}/browse/OPS-2|OPS-2 &lt;b&gt;>"
    assert message.text == "Standup · OPS: One blocker &amp; one review."


@pytest.mark.parametrize("length", [1, 80, 81, 120, 121, 300, 301, 600, 601])
def test_limits_hold_after_escaping_text_full_of_ampersands_and_brackets(length: int) -> None:
    value = hostile(length)
    problems = [hostile(length * 5), "GitHub acme/payments: rate limited & <!channel>"]
    message = digest_message(_digest(value, sections=8, items=25), LINKS, problems=problems)
    assert breaches(message.blocks) == [] and len(message.text) <= FALLBACK_CHARS
    for text in [message.text, *mrkdwn_texts(message.blocks)]:
        assert broken_entities(text) == [] and live_mentions(text) == []


def test_a_long_list_of_problems_fits_its_context_element() -> None:
    problems = [f"Jira OPS-{n}: 'a && b' <<failed>>" for n in range(400)]
    message = digest_message(_digest("ok"), LINKS, problems=problems)
    (context,) = [b for b in message.blocks if b["type"] == "context"]
    assert breaches([context]) == [] and broken_entities(context["elements"][0]["text"]) == []
    first = "Could not read: Jira OPS-0: 'a &amp;&amp; b' &lt;&lt;failed&gt;&gt;"
    assert context["elements"][0]["text"].startswith(first)
