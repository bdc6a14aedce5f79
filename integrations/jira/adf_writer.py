"""Markdown to Atlassian Document Format (ADF), for what the bot writes to Jira Cloud.

Pure functions; the reverse of ``integrations.jira.adf``. Blocks: paragraphs (a line break inside
one is a ``hardBreak``: people and models mean the breaks they type), ``#`` headings, fenced code
blocks, ``>`` quotes, ``-``/``*``/``•`` and ``1.`` lists nested by indentation, ``---`` rules and
GitHub-style pipe tables. Inline: ``**strong**``, ``_em_``/``*em*``, ``~~strike~~``, `` `code` ``,
``[text](url)``, Slack's ``<url|text>`` and bare URLs. Links keep only http(s) and mailto targets,
so nothing the model writes becomes a ``javascript:`` link. ADF forbids empty text nodes and
marks next to ``code`` other than ``link``; the writer never produces either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Node = dict[str, Any]
Mark = dict[str, Any]

_FENCE = re.compile(r"^\s*(```|~~~)\s*([\w+#.-]*)\s*$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
_ITEM = re.compile(r"^(\s*)([-*+•]|\d{1,9}[.)])\s+(.*)$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_SAFE_SCHEMES = ("http://", "https://", "mailto:")

_INLINE = re.compile(
    r"(?P<code>`+)(?P<code_text>.+?)(?P=code)"
    r"|\[(?P<link_text>[^\]\n]+)\]\((?P<link_url>[^)\s]+)\)"
    r"|<(?P<slack_url>(?:https?://|mailto:)[^>|\s]+)(?:\|(?P<slack_text>[^>\n]+))?>"
    r"|\*\*(?P<strong>.+?)\*\*|__(?P<strong2>.+?)__"
    r"|~~(?P<strike>.+?)~~"
    r"|(?<![\w*])\*(?P<em>[^*\s](?:[^*\n]*[^*\s])?)\*(?![\w*])"
    r"|(?<![\w_])_(?P<em2>[^_\s](?:[^_\n]*[^_\s])?)_(?![\w_])"
    r"|(?P<url>(?:https?://|mailto:)[^\s<>()\[\]]+[^\s<>()\[\].,;:!?'\"])"
)


def markdown_to_adf(markdown: str) -> Node:
    """An ADF ``doc`` (version 1) for ``markdown``; empty text gives a doc without content."""
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return {"type": "doc", "version": 1, "content": _blocks(lines)}


# -- blocks ----------------------------------------------------------------------------------


def _blocks(lines: list[str]) -> list[Node]:
    blocks: list[Node] = []
    paragraph: list[str] = []
    index = 0

    def flush() -> None:
        if paragraph:
            content = _inline_lines(paragraph)
            if content:
                blocks.append({"type": "paragraph", "content": content})
            paragraph.clear()

    while index < len(lines):
        line = lines[index]
        handled = _block_at(lines, index)
        if handled is not None:
            flush()
            node, index = handled
            if node is not None:
                blocks.append(node)
            continue
        if not line.strip():
            flush()
        else:
            paragraph.append(line.strip())
        index += 1
    flush()
    return blocks


def _block_at(lines: list[str], index: int) -> tuple[Node | None, int] | None:
    """The block starting at ``lines[index]`` and the index after it, or None for paragraph text."""
    line = lines[index]
    if fence := _FENCE.match(line):
        return _code_block(lines, index, fence.group(1), fence.group(2))
    if heading := _HEADING.match(line):
        content = _inline(heading.group(2))
        if not content:
            return None, index + 1
        return {"type": "heading", "attrs": {"level": len(heading.group(1))}, "content": content}, index + 1
    if _RULE.match(line):
        return {"type": "rule"}, index + 1
    if _QUOTE.match(line):
        return _quote(lines, index)
    if _ITEM.match(line):
        return _list(lines, index, _indent(line))
    if _TABLE_ROW.match(line) and index + 1 < len(lines) and _TABLE_RULE.match(lines[index + 1]):
        return _table(lines, index)
    return None


def _code_block(lines: list[str], index: int, fence: str, language: str) -> tuple[Node, int]:
    body: list[str] = []
    index += 1
    while index < len(lines) and lines[index].strip() != fence:
        body.append(lines[index])
        index += 1
    node: Node = {"type": "codeBlock"}
    if language:
        node["attrs"] = {"language": language}
    text = "\n".join(body)
    if text:
        node["content"] = [{"type": "text", "text": text}]
    return node, index + 1  # past the closing fence (or the end when it is missing)


def _quote(lines: list[str], index: int) -> tuple[Node | None, int]:
    inner: list[str] = []
    while index < len(lines) and (match := _QUOTE.match(lines[index])):
        inner.append(match.group(1))
        index += 1
    content = [block for block in _blocks(inner) if block["type"] in _QUOTE_CHILDREN]
    return ({"type": "blockquote", "content": content} if content else None), index


_QUOTE_CHILDREN = frozenset({"paragraph", "bulletList", "orderedList", "codeBlock"})


@dataclass
class _Item:
    text: list[str]
    children: list[str]


def _list(lines: list[str], index: int, indent: int) -> tuple[Node, int]:
    first = _ITEM.match(lines[index])
    assert first is not None
    ordered = first.group(2)[0].isdigit()
    items: list[_Item] = []
    while index < len(lines) and lines[index].strip():  # a blank line ends the list
        line = lines[index]
        match = _ITEM.match(line)
        if match and _indent(line) == indent:
            if match.group(2)[0].isdigit() != ordered:
                break
            items.append(_Item(text=[match.group(3).strip()], children=[]))
        elif _indent(line) > indent:
            items[-1].children.append(line)  # a nested list or an indented continuation
        elif match or _block_at(lines, index) is not None:
            break
        else:
            items[-1].text.append(line.strip())  # a lazy continuation line of the item
        index += 1
    node: Node = {
        "type": "orderedList" if ordered else "bulletList",
        "content": [_list_item(item) for item in items],
    }
    if ordered:
        start = int(first.group(2)[:-1])
        if start != 1:
            node["attrs"] = {"order": start}
    return node, index


def _list_item(item: _Item) -> Node:
    _absorb_continuation(item)
    paragraph = _inline_lines(item.text)
    content: list[Node] = (
        [{"type": "paragraph", "content": paragraph}] if paragraph else [{"type": "paragraph"}]
    )
    if item.children:
        base = min(_indent(line) for line in item.children if line.strip())
        nested = [line[base:] if line.strip() else line for line in item.children]
        content.extend(block for block in _blocks(nested) if block["type"] in _ITEM_CHILDREN)
    return {"type": "listItem", "content": content}


def _absorb_continuation(item: _Item) -> None:
    """Indented plain lines right under an item continue its text (CommonMark's lazy lines)."""
    while item.children and _block_at([line.strip() for line in item.children], 0) is None:
        item.text.append(item.children.pop(0).strip())


_ITEM_CHILDREN = frozenset({"paragraph", "bulletList", "orderedList", "codeBlock"})


def _table(lines: list[str], index: int) -> tuple[Node, int]:
    rows = [_row(_cells(lines[index]), "tableHeader")]
    index += 2  # the header and its --- rule
    while index < len(lines) and _TABLE_ROW.match(lines[index]):
        rows.append(_row(_cells(lines[index]), "tableCell"))
        index += 1
    return {
        "type": "table",
        "attrs": {"isNumberColumnEnabled": False, "layout": "default"},
        "content": rows,
    }, index


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _row(cells: list[str], kind: str) -> Node:
    def cell(text: str) -> Node:
        content = _inline(text)
        paragraph: Node = {"type": "paragraph", "content": content} if content else {"type": "paragraph"}
        return {"type": kind, "content": [paragraph]}

    return {"type": "tableRow", "content": [cell(text) for text in cells]}


def _indent(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip(" "))


# -- inline ----------------------------------------------------------------------------------


def _inline_lines(lines: list[str]) -> list[Node]:
    nodes: list[Node] = []
    for number, line in enumerate(lines):
        if number:
            nodes.append({"type": "hardBreak"})
        nodes.extend(_inline(line))
    return nodes


def _inline(text: str, marks: tuple[Mark, ...] = ()) -> list[Node]:
    nodes: list[Node] = []
    position = 0
    for match in _INLINE.finditer(text):
        nodes.extend(_text(text[position : match.start()], marks))
        nodes.extend(_token(match, marks))
        position = match.end()
    nodes.extend(_text(text[position:], marks))
    return _merged(nodes)


def _merged(nodes: list[Node]) -> list[Node]:
    """Adjacent text nodes with the same marks joined (a refused link leaves its text beside text)."""
    merged: list[Node] = []
    for node in nodes:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last["type"] == node["type"] == "text"
            and last.get("marks") == node.get("marks")
        ):
            merged[-1] = {**last, "text": last["text"] + node["text"]}
        else:
            merged.append(node)
    return merged


def _token(match: re.Match[str], marks: tuple[Mark, ...]) -> list[Node]:
    groups = match.groupdict()
    if groups["code_text"] is not None:
        links = tuple(mark for mark in marks if mark["type"] == "link")  # code only combines with link
        return _text(groups["code_text"], (*links, {"type": "code"}))
    if groups["link_text"] is not None:
        return _linked(groups["link_text"], groups["link_url"], marks, match.group(0))
    if groups["slack_url"] is not None:
        url = groups["slack_url"]
        return _linked(groups["slack_text"] or url, url, marks, match.group(0))
    if groups["url"] is not None:
        return _linked(groups["url"], groups["url"], marks, groups["url"])
    for name, mark in (("strong", "strong"), ("strong2", "strong"), ("strike", "strike")):
        if groups[name] is not None:
            return _inline(groups[name], _with(marks, {"type": mark}))
    inner = groups["em"] if groups["em"] is not None else groups["em2"]
    return _inline(inner, _with(marks, {"type": "em"}))


def _linked(label: str, url: str, marks: tuple[Mark, ...], raw: str) -> list[Node]:
    if not url.lower().startswith(_SAFE_SCHEMES) or any(mark["type"] == "link" for mark in marks):
        return _text(raw, marks)  # an unsafe or nested link stays visible text
    return _inline(label, _with(marks, {"type": "link", "attrs": {"href": url}}))


def _with(marks: tuple[Mark, ...], mark: Mark) -> tuple[Mark, ...]:
    if any(existing["type"] == mark["type"] for existing in marks):
        return marks
    if any(existing["type"] == "code" for existing in marks) and mark["type"] != "link":
        return marks
    return (*marks, mark)


def _text(text: str, marks: tuple[Mark, ...]) -> list[Node]:
    if not text:
        return []
    node: Node = {"type": "text", "text": text}
    if marks:
        node["marks"] = [dict(mark) for mark in marks]
    return [node]
