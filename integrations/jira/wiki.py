"""Jira wiki markup (Data Center's text format) to the same Markdown as ``adf.py`` produces.

The basics only: headings, bold/italic/monospace, links and user links, bullet and numbered
lists, ``{code}``/``{noformat}`` blocks, ``{quote}``/``bq.``, tables and rules. Anything else
is left as written, which reads well enough. Pure, line-based; code blocks are copied verbatim.
"""

from __future__ import annotations

import re

from integrations.jira.adf import DEFAULT_MAX_CHARS, truncate

_INDENT = "  "
_HEADING = re.compile(r"^h[1-6]\.\s+(.*)$")
_QUOTE_LINE = re.compile(r"^bq\.\s+(.*)$")
_LIST_ITEM = re.compile(r"^([*#-]+)\s+(.*)$")
_CODE_OPEN = re.compile(r"^\{(code|noformat)(?::([^}]*))?\}(.*)$")
_TABLE_ROW = re.compile(r"^\|")
_RULE = re.compile(r"^-{4,}$")
_BOLD = re.compile(r"(?<![\w*])\*(\S(?:[^*\n]*?\S)?)\*(?![\w*])")
_MONO = re.compile(r"\{\{(.+?)\}\}")
_USER_LINK = re.compile(r"\[~([^\]|]+)\]")
_LABELLED_LINK = re.compile(r"\[([^\]|]+)\|([^\]\s]+)\]")
_BARE_LINK = re.compile(r"\[((?:https?|mailto):[^\]\s]+)\]")
_COLOR = re.compile(r"\{color(?::[^}]*)?\}")


def wiki_to_markdown(text: str, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Render wiki markup as Markdown of at most ``max_chars``."""
    lines: list[str] = []
    fence: str | None = None  # the closing tag while inside {code} / {noformat}
    quoting = False
    numbers: dict[int, int] = {}
    for raw in text.replace("\r\n", "\n").split("\n"):
        if fence is not None:
            fence = _inside_code(raw, fence, lines)
            continue
        line = raw.strip()
        if (opened := _CODE_OPEN.match(line)) is not None:
            fence = "{" + opened.group(1) + "}"
            language = (opened.group(2) or "").split("|")[0].strip()
            lines.append(f"```{language if opened.group(1) == 'code' else ''}")
            if opened.group(3).strip():
                fence = _inside_code(opened.group(3), fence, lines)
            continue
        if line.startswith("{quote}"):
            quoting = not quoting
            line = line.removeprefix("{quote}").strip()
            if not line:
                continue
        rendered = _line(line, numbers)
        lines.append(f"> {rendered}" if quoting and rendered else rendered)
    if fence is not None:
        lines.append("```")
    return truncate("\n".join(lines).strip(), max_chars)


def _inside_code(raw: str, fence: str, lines: list[str]) -> str | None:
    """Copy a code line verbatim; None once the closing tag is seen."""
    if fence in raw:
        before = raw.split(fence, 1)[0]
        if before.strip():
            lines.append(before)
        lines.append("```")
        return None
    lines.append(raw)
    return fence


def _line(line: str, numbers: dict[int, int]) -> str:
    if (heading := _HEADING.match(line)) is not None:
        return f"**{_inline(heading.group(1)).strip()}**"
    if (quote := _QUOTE_LINE.match(line)) is not None:
        return "> " + _inline(quote.group(1))
    if _RULE.match(line):
        return "---"
    if (item := _LIST_ITEM.match(line)) is not None:
        return _list_item(item.group(1), item.group(2), numbers)
    numbers.clear()
    if _TABLE_ROW.match(line):
        cells = [cell.strip() for cell in re.split(r"\|\|?", line.strip("|")) if cell.strip()]
        return " | ".join(_inline(cell) for cell in cells)
    return _inline(line)


def _list_item(markers: str, text: str, numbers: dict[int, int]) -> str:
    depth = len(markers) - 1
    for deeper in [level for level in numbers if level > depth]:
        del numbers[deeper]
    if markers[-1] == "#":
        numbers[depth] = numbers.get(depth, 0) + 1
        marker = f"{numbers[depth]}. "
    else:
        marker = "• "
    return f"{_INDENT * depth}{marker}{_inline(text)}"


def _inline(text: str) -> str:
    text = _COLOR.sub("", text).replace("\\\\", "\n")
    text = _MONO.sub(lambda match: f"`{match.group(1)}`", text)
    text = _USER_LINK.sub(lambda match: f"@{match.group(1)}", text)
    text = _LABELLED_LINK.sub(lambda match: f"[{match.group(1)}]({match.group(2)})", text)
    text = _BARE_LINK.sub(lambda match: match.group(1), text)
    return _BOLD.sub(lambda match: f"**{match.group(1)}**", text)
