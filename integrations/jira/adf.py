"""Atlassian Document Format (ADF) to Markdown, for prompts, cards and chat replies.

Pure functions over the JSON tree. Walks nodes in document order; block nodes become lines,
inline nodes are concatenated. Headings become bold lines, lists ``•``/``1.`` items, code
blocks fences, links ``[text](url)``, mentions ``@Name``, tables one ``a | b`` line per row
(Slack has no Markdown tables). Unknown node types are not dropped: their children are
rendered, so new ADF features degrade to their text. A string (Data Center's wiki markup) is
passed through unchanged; ``integrations.jira.wiki`` converts that.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

DEFAULT_MAX_CHARS = 4000
_INDENT = "  "
_INLINE = frozenset(
    {"text", "hardBreak", "mention", "emoji", "inlineCard", "status", "date", "placeholder", "media"}
)

Node = dict[str, Any]


def adf_to_markdown(document: object, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Render an ADF document (or a plain string) as Markdown of at most ``max_chars``."""
    if document is None:
        return ""
    if isinstance(document, str):
        text = document.strip()
    elif isinstance(document, dict):
        text = "\n".join(_block(document, 0)).strip()
    else:
        text = ""
    return truncate(text, max_chars)


def truncate(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` with an ellipsis, when longer."""
    if len(text) <= max_chars:
        return text
    return text[: max(0, max_chars - 1)].rstrip() + "…"


def _children(node: Node) -> list[Node]:
    content = node.get("content")
    return [child for child in content if isinstance(child, dict)] if isinstance(content, list) else []


def _attrs(node: Node) -> dict[str, Any]:
    attrs = node.get("attrs")
    return attrs if isinstance(attrs, dict) else {}


def _block(node: Node, depth: int) -> list[str]:
    """The lines of one block node."""
    kind = node.get("type")
    if kind in ("bulletList", "orderedList"):
        return _list(node, depth)
    if kind == "codeBlock":
        language = _attrs(node).get("language") or ""
        return [f"```{language}", _inline_of(node), "```"]
    if kind == "blockquote":
        return ["> " + line for line in _blocks(_children(node), depth)]
    if kind == "rule":
        return ["---"]
    if kind == "tableRow":
        return [" | ".join(" ".join(_blocks(_children(cell), depth)) for cell in _children(node))]
    if kind == "heading":
        return [_emphasis(_inline_of(node), "**")]
    if kind in ("mediaSingle", "mediaGroup"):
        return ["[attachment]" for _ in _children(node)] or ["[attachment]"]
    if kind in _INLINE:
        return [_inline(node)]
    if kind == "paragraph" or _is_inline_container(node):
        return [_inline_of(node)]
    return _blocks(_children(node), depth)  # doc, panel, expand, table, unknown containers


def _blocks(nodes: list[Node], depth: int) -> list[str]:
    return [line for child in nodes for line in _block(child, depth)]


def _is_inline_container(node: Node) -> bool:
    children = _children(node)
    return bool(children) and all(child.get("type") in _INLINE for child in children)


def _list(node: Node, depth: int) -> list[str]:
    ordered = node.get("type") == "orderedList"
    start = _attrs(node).get("order", 1)
    number = start if isinstance(start, int) else 1
    lines: list[str] = []
    for offset, item in enumerate(_children(node)):
        marker = f"{number + offset}. " if ordered else "• "
        lines.extend(_list_item(item, depth, marker))
    return lines


def _list_item(item: Node, depth: int, marker: str) -> list[str]:
    prefix = _INDENT * depth
    lines: list[str] = []
    for child in _children(item):
        if child.get("type") in ("bulletList", "orderedList"):
            lines.extend(_list(child, depth + 1))
            continue
        for line in _block(child, depth):
            lead = marker if not lines else " " * len(marker)
            lines.append(f"{prefix}{lead}{line}")
    return lines or [f"{prefix}{marker}".rstrip()]


def _inline_of(node: Node) -> str:
    return "".join(_inline(child) for child in _children(node))


def _inline(node: Node) -> str:
    kind = node.get("type")
    attrs = _attrs(node)
    if kind == "text":
        return _text(node)
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        return str(attrs.get("text") or f"@{attrs.get('id', 'someone')}")
    if kind == "emoji":
        return str(attrs.get("text") or f":{attrs.get('shortName', '').strip(':')}:")
    if kind == "inlineCard":
        return str(attrs.get("url") or "")
    if kind == "status":
        return f"[{attrs.get('text', '')}]"
    if kind == "date":
        return _date(attrs.get("timestamp"))
    if kind == "media":
        return "[attachment]"
    return _inline_of(node)  # placeholder and unknown inline nodes: their text, if any


_MARK_WRAPPERS = {"strong": "**", "em": "_", "strike": "~~"}


def _text(node: Node) -> str:
    text = str(node.get("text") or "")
    marks = {str(mark.get("type")): mark for mark in node.get("marks") or [] if isinstance(mark, dict)}
    if "code" in marks:
        text = f"`{text}`"
    else:
        for kind, wrapper in _MARK_WRAPPERS.items():
            if kind in marks:
                text = _emphasis(text, wrapper)
    href = str(_attrs(marks["link"]).get("href") or "") if "link" in marks else ""
    if href and href != text:
        return f"[{text}]({href})"
    return href or text


def _emphasis(text: str, wrapper: str) -> str:
    """``text`` wrapped, with surrounding spaces kept outside (``** x**`` would not render)."""
    core = text.strip()
    if not core:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return f"{lead}{wrapper}{core}{wrapper}{trail}"


def _date(timestamp: object) -> str:
    try:
        millis = int(str(timestamp))
    except ValueError:
        return str(timestamp or "")
    return datetime.fromtimestamp(millis / 1000, tz=UTC).strftime("%Y-%m-%d")
