"""Reads made once per question (``integrations.memo``): within ``reads_once()`` a repeated GET
sends nothing, outside it every GET goes out, and a write in between makes the next read fresh."""

from __future__ import annotations

import asyncio

from integrations.github import GitHubClient
from integrations.memo import reads_once
from simulators.github import GitHubSimulator


def _reads(sim: GitHubSimulator, path: str) -> int:
    return sum(1 for request in sim.requests if request.method == "GET" and request.path == path)


async def test_within_a_question_a_repeated_read_is_answered_without_a_request(
    github: GitHubClient, github_sim: GitHubSimulator
) -> None:
    with reads_once():
        first = await github.get_pull_request("acme/payments", 42)
        again = await asyncio.create_task(github.get_pull_request("acme/payments", 42))  # a tool's task

    assert again == first
    assert _reads(github_sim, "/repos/acme/payments/pulls/42") == 1


async def test_outside_a_question_and_across_questions_every_read_goes_out(
    github: GitHubClient, github_sim: GitHubSimulator
) -> None:
    await github.get_issue("acme/payments", 40)
    with reads_once():
        await github.get_issue("acme/payments", 40)
    with reads_once():
        await github.get_issue("acme/payments", 40)

    assert _reads(github_sim, "/repos/acme/payments/issues/40") == 3


async def test_a_write_makes_the_next_read_fresh(github: GitHubClient, github_sim: GitHubSimulator) -> None:
    with reads_once():
        await github.get_issue("acme/payments", 40)
        await github.comment("acme/payments", 40, "Looking into it.")
        await github.get_issue("acme/payments", 40)

    assert _reads(github_sim, "/repos/acme/payments/issues/40") == 2
