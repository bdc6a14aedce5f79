"""Every example README.md shows gives a sensible answer in `make demo`'s console.

The examples are read from README.md's sections "What the demo shows" and "In Slack", so one
added there is walked here too. The rules, strictly:

- an inline code span starting with ``/`` is a command (``/jira OPS-2``); one starting with ``@``
  is a mention; a "double-quoted" phrase is a question or request typed in the thread;
- placeholders (``<...>``, ``[...]``, ``owner/repo``, ``#N``, ``base...head``) are filled from
  FILLERS with simulated data; an example with a placeholder FILLERS lacks fails the test;
- Slack-only examples are skipped, by one rule alone: a mention, or a table row whose gesture is
  Slack's (SLACK_GESTURES: a button, a pasted link, a thread reply, a DM, a shortcut) or whose
  answer is posted in the channel later (SLACK_ANSWERS);
- CONTROLS (``/new``, ``/quit``) steer the session: each is checked for its effect at the end;
- KNOWN_BROKEN names the examples a defect outside the demo breaks, with the defect.

The rest are typed, in README order, into one console thread over the demo's own services
(``bot.console.demo.demo_services``: the same simulators and settings, a database of the test's
own); a proposed write is approved. Each must answer without an error or an "I could not", name
something only the simulated data holds, offer a change for approval where README says it does,
and, for a question, have the agent call a tool.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.console.app import CONSOLE, FAILED, ConsoleSession
from bot.console.approvals import PROMPT
from bot.console.demo import demo_services
from bot.services import Services
from simulators.jira import jql
from simulators.jira.payloads import WORKFLOW
from simulators.llm import SIMULATED_NOTE
from simulators.mcp import Desk

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("What the demo shows", "In Slack")
FILLERS = {
    "<question>": "who is working on OPS-1?",
    "<JQL>": 'project = OPS AND status = "In Progress"',
    "<words>": "blocked payments rollout",
    "<query>": "idempotency",
    "[PROJECT]": "OPS",
    "[OPS acme/payments team]": "OPS acme/payments",
    "owner/repo": "acme/payments",
    "#N": "#42",
    "base...head": "main...fix/idempotency-retry",
    "[branch]": "fix/idempotency-retry",
    "<run id>": "6100421",
    "<job id>": "9100423",
}
_PLACEHOLDER = re.compile(r"<[^>]+>|\[[^\]]+\]|owner/repo|#N\b|base\.\.\.head")
# Slack-only: a mention, or a row of the "In Slack" table whose gesture (its first cell) only Slack
# has — a button pressed, a link pasted, a reply in a thread, a DM, a message shortcut — or whose
# answer (its second cell) is posted "in the channel" at a later time, where the console has none.
SLACK_GESTURES = ("press ", "paste ", "a reply ", "a dm", "message shortcut")
SLACK_ANSWERS = ("in the channel",)
CONTROLS = ("/new", "/quit")
NOT_SENSIBLE = (
    "Traceback",
    "I could not",
    "I couldn't",
    "I did not",
    "did not help",
    "not found",
    "Usage:",
    "usage:",
    FAILED,
    "not set up",
    "The tools returned nothing",
    "did not accept",
    "failed after approval",
)
# Examples that do not answer sensibly because of a defect outside the demo, each with the defect;
# each is walked in a thread of its own. The test fails once one of them answers well: drop it then.
KNOWN_BROKEN: dict[str, str] = {}
FACT_FIELDS = frozenset(
    "summary name displayName title display_title message log text body description goal filename".split()
)
_CODE = re.compile(r"`([^`]+)`")
_QUOTE = re.compile(r'"([^"]+)"')


@dataclass(frozen=True)
class Example:
    text: str  # as README shows it
    kind: str  # "command", "mention" or "question"
    gesture: str = ""  # the table row's first cell ("you do"), when it came from the table
    answer: str = ""  # the table row's second cell ("the bot")

    @property
    def slack_only(self) -> bool:
        gesture = self.gesture.lower()
        return (
            self.kind == "mention"
            or gesture.startswith(SLACK_GESTURES)
            or any(phrase in self.answer for phrase in SLACK_ANSWERS)
        )

    @property
    def proposes(self) -> bool:
        """Whether README says this leads to a change offered for approval."""
        return "approv" in self.answer.lower()

    @property
    def asks_the_agent(self) -> bool:
        return self.kind == "question" or "<question>" in self.text

    @property
    def typed(self) -> str:
        """The line typed into the console: placeholders filled, longest first."""
        line = self.text
        for placeholder in sorted(FILLERS, key=len, reverse=True):
            line = line.replace(placeholder, FILLERS[placeholder])
        return line


def readme_examples(readme: str) -> list[Example]:
    """The examples of README's example sections, in order, each once (a table row's from its first cell)."""
    found: dict[str, Example] = {}
    for title in SECTIONS:
        for line in _section(readme, title).splitlines():
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            table_row = line.startswith("|") and len(cells) >= 2 and not set(cells[0]) <= set("-: ")
            gesture, answer = (cells[0], cells[1]) if table_row else ("", "")
            if line.startswith("|") and not table_row:
                continue
            for text, kind in _examples_in(gesture or line):
                found.setdefault(text, Example(text, kind, gesture, answer))
    return list(found.values())


def _examples_in(text: str) -> list[tuple[str, str]]:
    """Commands and mentions (code spans), and questions (double-quoted), in the order they appear."""
    spans = [
        (match.start(), match.group(1), "command" if match.group(1).startswith("/") else "mention")
        for match in _CODE.finditer(text)
        if match.group(1).startswith(("/", "@"))
    ]
    prose = _CODE.sub(lambda match: " " * len(match.group(0)), text)
    quotes = [(match.start(), match.group(1), "question") for match in _QUOTE.finditer(prose)]
    return [(example, kind) for _, example, kind in sorted(spans + quotes)]


def _section(readme: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    assert match, f"README.md has no '## {title}' section: the examples are read from it"
    return match.group(1)


def simulated_facts() -> set[str]:
    """Texts only the simulated data holds: summaries, titles, names, messages, log lines ...

    (the first line of each value of these fields in simulators/data/*.json, the pull requests'
    and issues' references, the simulated Jira's workflow transitions, the simulated incidents' titles).
    """
    facts = {action for moves in WORKFLOW.values() for _, action, _ in moves}
    facts |= {incident.title for incident in Desk().incidents.values()}
    for name in ("jira_issues.json", "github.json"):
        facts |= set(_texts(json.loads((ROOT / "simulators/data" / name).read_text("utf-8"))))
    github = json.loads((ROOT / "simulators/data/github.json").read_text("utf-8"))
    facts |= {f"{repo['full_name']}#{item['number']}" for repo in github["repos"] for item in repo["items"]}
    return {fact for fact in facts if len(fact) >= 7 and not fact.startswith("http")}


def _texts(node: object, field: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _texts(value, key)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value, field)
    elif isinstance(node, str) and field in FACT_FIELDS and node.strip():
        yield node.strip().splitlines()[0]


def counted(output: str) -> str | None:
    """For a count's answer: "N issue" with N what the simulated Jira's seed holds for its JQL."""
    query = re.search(r"^\s*query: (.+)$", output, re.MULTILINE)
    if "match" not in output or query is None:
        return None
    seed = json.loads((ROOT / "simulators/data/jira_issues.json").read_text("utf-8"))
    predicate = jql.parse(query.group(1), jql.Context(current_user="", aliases={}, known={}))
    return f"{sum(1 for issue in seed['issues'] if predicate(issue))} issue"


def test_the_readme_shows_examples_and_each_is_walked_or_skipped_by_rule() -> None:
    examples = readme_examples((ROOT / "README.md").read_text("utf-8"))

    texts = [example.text for example in examples]
    assert "why is OPS-2 blocked?" in texts and "/jira OPS-2" in texts and "/gh acme/payments#42" in texts
    assert all(example.slack_only for example in examples if example.kind == "mention")
    walked = [example for example in examples if not example.slack_only and example.text not in CONTROLS]
    unfilled = [example.text for example in walked if _PLACEHOLDER.search(example.typed)]
    assert not unfilled, f"README examples with a placeholder FILLERS cannot fill: {unfilled}"


async def test_every_readme_example_gives_a_sensible_answer_in_the_demo_console(tmp_path: Path) -> None:
    examples = readme_examples((ROOT / "README.md").read_text("utf-8"))
    walked = [example for example in examples if not example.slack_only and example.text not in CONTROLS]
    facts = simulated_facts()
    problems: list[str] = []
    async with demo_services(database_url=f"sqlite:///{tmp_path / 'demo.db'}") as services:
        out = io.StringIO()
        session = ConsoleSession(services, out)
        for example in walked:
            thread = session.thread_ts
            if example.text in KNOWN_BROKEN:  # in a thread of its own: its failure stays out of the next
                session.new_thread()
            start, runs_before = out.tell(), await _run_ids(services, session)
            await session.handle(example.typed)
            await _approve_everything(session, out, start)
            session.thread_ts = thread
            found = list(_judged(example, out.getvalue()[start:], facts))
            if example.asks_the_agent and not await _tool_calls_since(services, session, runs_before):
                found.append(f"{example.typed!r}: the agent called no tool")
            if example.text in KNOWN_BROKEN and not found:
                found.append(f"{example.text!r} answers well now: drop it from KNOWN_BROKEN")
            elif example.text in KNOWN_BROKEN:
                found = []
            problems += found
        problems += await _controls_work(session, out)
    assert not problems, "\n".join(problems)


def _judged(example: Example, output: str, facts: set[str]) -> Iterator[str]:
    said = f"{example.typed!r} answered:\n{output}"
    for phrase in NOT_SENSIBLE:
        if phrase in output:
            yield f"{said}\n-> it says {phrase!r}"
    known = {fact for fact in facts if fact not in example.typed} | {counted(output) or output + "?"}
    if not any(fact in output for fact in known):
        yield f"{said}\n-> it names nothing only the simulated data holds"
    if example.proposes and PROMPT not in output:
        yield f"{said}\n-> README says it proposes a change for approval; none was offered"
    if example.asks_the_agent and SIMULATED_NOTE not in output:
        yield f"{said}\n-> no simulated-model note"


async def _approve_everything(session: ConsoleSession, out: io.StringIO, start: int) -> None:
    """Approve each proposal the example led to (a proposal's prompt is printed after it)."""
    for _ in range(5):
        if out.getvalue()[start:].count(PROMPT) <= out.getvalue()[start:].count("\nyou> y"):
            return
        out.write("\nyou> y\n")
        await session.handle("y")


async def _run_ids(services: Services, session: ConsoleSession) -> set[str]:
    conversation = await services.store.find_conversation(CONSOLE, CONSOLE, session.thread_ts)
    return {run.id for run in await services.store.runs(conversation)} if conversation is not None else set()


async def _tool_calls_since(services: Services, session: ConsoleSession, before: set[str]) -> int:
    calls = 0
    for run_id in await _run_ids(services, session) - before:
        calls += len(await services.store.tool_calls(run_id))
    return calls


async def _controls_work(session: ConsoleSession, out: io.StringIO) -> list[str]:
    problems = []
    start = out.tell()
    await session.handle("/new")
    if "(new thread)" not in out.getvalue()[start:]:
        problems.append("/new did not start a new thread")
    if await session.handle("/quit"):
        problems.append("/quit did not leave")
    return problems
