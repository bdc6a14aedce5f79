"""Rules of the tree that imports alone cannot state, checked by reading the source with ``ast``.

Every write to Slack's chat API goes through the one door, ``bot/slack/delivery/``: that is
where the workspace's budget, the 429 ladder and the no-unfurl default live. A direct
``client.chat_postMessage(...)`` elsewhere would post around all three.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
DOOR = BOT / "slack" / "delivery"

# The chat methods that write; as SDK methods (``chat_update``) or Web API names (``chat.update``).
CHAT_WRITES = frozenset(
    {
        "chat.postMessage",
        "chat.update",
        "chat.startStream",
        "chat.appendStream",
        "chat.stopStream",
        "chat.postEphemeral",
        "chat.unfurl",
        "chat.delete",
        "chat.scheduleMessage",
        "chat.meMessage",
    }
)
SDK_METHODS = frozenset(name.replace(".", "_") for name in CHAT_WRITES)


def chat_writes(source: str) -> list[tuple[int, str]]:
    """(line, method) of each chat write called in ``source``, however it is spelled."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr in SDK_METHODS:
            found.append((node.lineno, node.func.attr))
        elif node.func.attr == "api_call" and (method := _api_method(node)) in CHAT_WRITES:
            found.append((node.lineno, f"api_call({method!r})"))
    return sorted(found)


def _api_method(call: ast.Call) -> str | None:
    """The literal method name of ``client.api_call(...)``: its first argument or ``api_method=``."""
    named = [keyword.value for keyword in call.keywords if keyword.arg == "api_method"]
    argument = (call.args or named or [None])[0]
    return argument.value if isinstance(argument, ast.Constant) and isinstance(argument.value, str) else None


def test_the_scan_sees_every_spelling_of_a_chat_write() -> None:
    source = (
        "await client.chat_postMessage(channel='C', text='hi')\n"
        "await self._client.chat_update(channel='C', ts='1', text='hi')\n"
        "await client.api_call('chat.startStream', json={})\n"
        "await client.api_call(api_method='chat.unfurl', json={})\n"
        "await client.views_open(trigger_id='t', view={})\n"
        "await client.api_call('assistant.threads.setStatus', json={})\n"
    )
    assert [line for line, _ in chat_writes(source)] == [1, 2, 3, 4]


def test_only_the_delivery_door_writes_to_slack_chat() -> None:
    outside = [
        f"{path.relative_to(BOT.parent)}:{line}: {method}"
        for path in sorted(BOT.rglob("*.py"))
        if DOOR not in path.parents
        for line, method in chat_writes(path.read_text(encoding="utf-8"))
    ]
    assert outside == [], "Slack chat writes outside bot/slack/delivery/ (use SlackDelivery):\n" + "\n".join(
        outside
    )


# The packages whose `__init__` states a rule and the public names other packages use.
PACKAGES = (
    "bot.agent",
    "bot.agent.mcp",
    "bot.approvals",
    "bot.console",
    "bot.lookup",
    "bot.mcp",
    "bot.ops",
    "bot.runs",
    "bot.slack",
    "bot.slack.blocks",
    "bot.slack.delivery",
    "bot.slack.listeners",
    "bot.store",
    "bot.text",
    "bot.workflows",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _owner(module: str) -> str | None:
    """The innermost package of PACKAGES that ``module`` lives in."""
    owners = [package for package in PACKAGES if module.startswith(package + ".")]
    return max(owners, key=len, default=None)


def private_imports(importer: str, source: str) -> list[str]:
    """Imports in ``source`` that reach into another package's module instead of its public names."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
            continue
        owner = _owner(node.module)
        if owner is None or node.module in PACKAGES:
            continue
        if importer != owner and not importer.startswith(owner + "."):
            found.append(f"{importer}: from {node.module} import … (use {owner})")
    return found


def test_the_import_scan_tells_a_private_module_from_a_package() -> None:
    assert private_imports("bot.cli", "from bot.runs.dispatcher import Dispatcher") == [
        "bot.cli: from bot.runs.dispatcher import … (use bot.runs)"
    ]
    assert private_imports("bot.cli", "from bot.runs import Dispatcher") == []
    assert private_imports("bot.runs.traces", "from bot.runs.usage import summarize") == []
    assert private_imports("bot.slack.app", "from bot.slack.delivery.door import SlackDelivery") == [
        "bot.slack.app: from bot.slack.delivery.door import … (use bot.slack.delivery)"
    ]


def test_packages_import_each_other_through_their_public_names() -> None:
    found = [
        problem
        for path in sorted(BOT.rglob("*.py"))
        if "migrations" not in path.parts
        for problem in private_imports(_module_name(path), path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_every_package_states_its_rule_and_its_public_names() -> None:
    for package in PACKAGES:
        module = importlib.import_module(package)
        assert module.__doc__ and "Rule" in module.__doc__, f"{package} does not state its rule"
        exported = getattr(module, "__all__", None)
        assert exported, f"{package} has no __all__"
        assert sorted(exported) == sorted(set(exported)), f"{package}.__all__ repeats a name"
        missing = [name for name in exported if not hasattr(module, name)]
        assert missing == [], f"{package}.__all__ names what it does not define: {missing}"
