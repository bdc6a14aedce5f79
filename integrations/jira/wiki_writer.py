"""Markdown to Jira wiki markup, for what the bot writes to Jira Data Center (REST v2).

Goes through ``integrations.jira.adf_writer`` so both editions get the same reading of the
Markdown: the ADF tree is rendered as wiki markup (``h2.``, ``*strong*``, ``_em_``, ``-strike-``,
``{{code}}``, ``[text|url]``, ``*``/``#`` lists, ``{code:lang}``, ``{quote}``, ``----``,
``||header||`` tables). Plain text is escaped where wiki markup would read it as formatting,
so what a person or the model wrote arrives as written.
"""

from __future__ import annotations

import re
from typing import Any

from integrations.jira.adf_writer import markdown_to_adf

Node = dict[str, Any]

# Braces and brackets open macros and links anywhere; the effect characters only where a word
# starts (Jira ignores ``snake_case`` or ``a-b``), so only those are escaped.
_SPECIAL = re.compile(r"([{}\[\]|\\]|(?:(?<=\s)|^)[*_+^~?-])")
_MARKS = {"strong": "*", "em": "_", "strike": "-"}


def markdown_to_wiki(markdown: str) -> str:
    """Jira wiki markup for ``markdown``."""
    return "\n".join(_block(node, "") for node in _children(markdown_to_adf(markdown))).strip()


def _children(node: Node) -> list[Node]:
    content = node.get("content")
    return list(content) if isinstance(content, list) else []


def _block(node: Node, marker: str) -> str:
    kind = node.get("type")
    if kind == "heading":
        return f"h{node['attrs']['level']}. {_inline_of(node)}\n"
    if kind == "codeBlock":
        language = node.get("attrs", {}).get("language")
        text = "".join(str(child.get("text", "")) for child in _children(node))
        return (f"{{code:{language}}}" if language else "{code}") + f"\n{text}\n{{code}}\n"
    if kind == "blockquote":
        return "{quote}\n" + "\n".join(_block(child, "") for child in _children(node)).strip() + "\n{quote}\n"
    if kind == "rule":
        return "----\n"
    if kind in ("bulletList", "orderedList"):
        symbol = "*" if kind == "bulletList" else "#"
        lines = [_item(item, marker + symbol) for item in _children(node)]
        return "\n".join(lines) + ("\n" if not marker else "")
    if kind == "table":
        return "\n".join(_row(row) for row in _children(node)) + "\n"
    return _inline_of(node) + "\n"  # paragraph


def _item(item: Node, marker: str) -> str:
    parts: list[str] = []
    for child in _children(item):
        if child.get("type") in ("bulletList", "orderedList"):
            parts.append(_block(child, marker))
        elif not parts:
            parts.append(f"{marker} {_block(child, marker).strip()}")
        else:
            parts.append(_block(child, marker).strip())
    return "\n".join(parts) if parts else marker


def _row(row: Node) -> str:
    cells = _children(row)
    bar = "||" if cells and cells[0].get("type") == "tableHeader" else "|"
    texts = [" ".join(_inline_of(child) for child in _children(cell)) or " " for cell in cells]
    return bar + bar.join(texts) + bar


def _inline_of(node: Node) -> str:
    return "".join(_inline(child) for child in _children(node))


def _inline(node: Node) -> str:
    if node.get("type") == "hardBreak":
        return "\\\\\n"  # wiki's forced line break
    marks = node.get("marks", [])
    kinds = [mark.get("type") for mark in marks]
    text = str(node.get("text", ""))
    if "code" in kinds:
        rendered = "{{" + text.replace("}}", "} }") + "}}"
    else:
        rendered = _SPECIAL.sub(r"\\\1", text)
        for kind in kinds:
            if kind in _MARKS:
                rendered = f"{_MARKS[kind]}{rendered}{_MARKS[kind]}"
    link = next((mark for mark in marks if mark.get("type") == "link"), None)
    if link is not None:
        href = str(link.get("attrs", {}).get("href", ""))
        return href if text == href else f"[{rendered}|{href}]"
    return rendered
