"""`chatops eval`: answer quality and write safety, measured per model on SIMULATED upstreams.

Rule: the bot's real agent, tools, prompt and wiring (``bot.services``) answer each case; Jira,
GitHub, CI and the team's MCP server are the simulators the demo and the tests use, seeded per
case with the case's planted text. Nothing here talks to Slack or approves a write; evidence is
judged by deterministic evaluators (``evaluators``), never by a model unless one is asked for.
A layer beside ``bot.mcp``: it may import everything below it and ``simulators``.

- ``case`` — the YAML case format (``cases/*.yaml``: one file per category);
- ``world`` — one case's simulators and agent, and its evidence (``Transcript``);
- ``evaluators`` — the checks, pydantic-evals ``Evaluator`` subclasses;
- ``suite`` — loading and choosing cases, running them as a pydantic-evals ``Dataset``;
- ``report`` — per case, per category and overall figures; JSON and Markdown;
- ``compare`` — two reports case by case;
- ``arguments`` — the CLI's arguments; ``command`` — running it.
"""

from __future__ import annotations

import argparse

from bot.eval.arguments import add_arguments as add_eval_arguments


async def run_eval(args: argparse.Namespace) -> int:
    """`chatops eval` (or `eval compare`) with parsed ``args``; the exit status."""
    # Imported when the command runs: the agent, the simulators and pydantic-evals take a good part
    # of a second to load, which every other `chatops` command would pay at start-up.
    from bot.eval.command import run_eval as run

    return await run(args)


__all__ = ["add_eval_arguments", "run_eval"]
