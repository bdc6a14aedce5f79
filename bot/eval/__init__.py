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
- ``command`` — the CLI.
"""

from __future__ import annotations

from bot.eval.command import add_arguments as add_eval_arguments
from bot.eval.command import run_eval

__all__ = ["add_eval_arguments", "run_eval"]
