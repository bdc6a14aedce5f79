"""Block Kit as Slack checks it: the known blocks, elements and text objects, and their limits.

SIMULATED. Pure functions of a payload that return every problem found, worded like Slack's
own (``must be less than 3001 characters [json-pointer:/blocks/0/text/text]``), so a refusal
from the simulator reads like one from Slack. Limits: docs.slack.dev/reference/block-kit and
the matching ``*_max_length`` constants of ``slack_sdk.models.blocks``. Where Slack's rules are
not documented (the inside of rich_text, table, card, ...) nothing is checked: the simulator
must never refuse what Slack accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT = 3000  # any text object
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
MARKDOWN_TEXT = 12_000
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
CONTEXT_ACTIONS_ELEMENTS = 5
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
URL = 3000
ID = 255  # block_id, action_id, callback_id, external_id
LABEL = 2000  # input label and hint, image alt text and title
PLACEHOLDER = 150
OPTION_TEXT = 75
OPTION_VALUE = 150
SELECT_OPTIONS = 100
CHOICE_OPTIONS = 10  # checkboxes, radio buttons
OVERFLOW_OPTIONS = 5
INPUT_MAX_LENGTH = 3000
VIEW_LABEL = 24  # modal title, submit, close
PRIVATE_METADATA = 3000

Node = dict[str, Any]
Problems = Iterator[str]

_TEXT_KEYS = {"plain_text": {"type", "text", "emoji"}, "mrkdwn": {"type", "text", "verbatim"}}
_SELECTS = {
    f"{prefix}{kind}_select"
    for prefix in ("", "multi_")
    for kind in ("static", "external", "users", "conversations", "channels")
}
_PICKERS = {"datepicker", "timepicker", "datetimepicker"}
_CHOICES = {"checkboxes", "radio_buttons"}
_TEXT_INPUTS = {
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
    "file_input",
}
# Which elements each block takes (docs.slack.dev/reference/block-kit/blocks/*).
ACTIONS = {"button", "overflow", "workflow_button", *_SELECTS, *_PICKERS, *_CHOICES}
ACCESSORY = {"button", "overflow", "workflow_button", "image", *_SELECTS, *_PICKERS, *_CHOICES}
INPUTS = {*_SELECTS, *_PICKERS, *_CHOICES, *_TEXT_INPUTS}
CONTEXT = {"image", "plain_text", "mrkdwn"}
CONTEXT_ACTIONS = {"feedback_buttons", "icon_button"}
_RICH_TEXT = {"rich_text_section", "rich_text_list", "rich_text_preformatted", "rich_text_quote"}


def block_problems(blocks: object, pointer: str = "/blocks", *, most: int = MESSAGE_BLOCKS) -> list[str]:
    """Every way ``blocks`` (a message's, or an unfurl's) breaks Block Kit; empty when Slack takes it."""
    return list(_blocks(blocks, pointer, most))


def view_problems(view: object, pointer: str = "/view", *, kinds: tuple[str, ...] = ("modal",)) -> list[str]:
    """Every way a view payload (a modal, or a Home tab) breaks Slack's rules for views."""
    return list(_view(view, pointer, kinds))


def _problem(message: str, pointer: str) -> str:
    return f"{message} [json-pointer:{pointer}]"


def _blocks(blocks: object, at: str, most: int) -> Problems:
    if not isinstance(blocks, list):
        yield _problem("expected array", at)
        return
    if len(blocks) > most:
        yield _problem(f"no more than {most} items allowed", at)
    for index, block in enumerate(blocks):
        yield from _block(block, f"{at}/{index}")


def _block(block: object, at: str) -> Problems:
    if not isinstance(block, dict):
        yield _problem("expected object", at)
        return
    kind = block.get("type")
    if kind is None:
        yield _problem("missing required field: type", at)
        return
    if kind not in _BLOCKS:
        yield _problem(f"unsupported type: {kind}", f"{at}/type")
        return
    yield from _string(block, "block_id", at, most=ID)
    yield from _BLOCKS[kind](block, at)


def _section(block: Node, at: str) -> Problems:
    if "text" not in block and "fields" not in block:
        yield _problem("missing required field: text", at)
    if "text" in block:
        yield from _text(block["text"], f"{at}/text", most=TEXT)
    if "fields" in block:
        yield from _list(block["fields"], f"{at}/fields", most=SECTION_FIELDS)
        for index, field in enumerate(_items(block["fields"])):
            yield from _text(field, f"{at}/fields/{index}", most=FIELD_TEXT)
    if "accessory" in block:
        yield from _element(block["accessory"], f"{at}/accessory", ACCESSORY)


def _header(block: Node, at: str) -> Problems:
    yield from _required_text(block, "text", at, most=HEADER_TEXT, plain=True)


def _markdown(block: Node, at: str) -> Problems:
    yield from _required(block, "text", at)
    yield from _string(block, "text", at, most=MARKDOWN_TEXT, least=1)


def _context(block: Node, at: str) -> Problems:
    yield from _elements(block, at, CONTEXT, most=CONTEXT_ELEMENTS)


def _actions(block: Node, at: str) -> Problems:
    yield from _elements(block, at, ACTIONS, most=ACTIONS_ELEMENTS)


def _context_actions(block: Node, at: str) -> Problems:
    yield from _elements(block, at, CONTEXT_ACTIONS, most=CONTEXT_ACTIONS_ELEMENTS)


def _image(block: Node, at: str) -> Problems:
    yield from _image_element(block, at)
    if "title" in block:
        yield from _text(block["title"], f"{at}/title", most=LABEL, plain=True)


def _input(block: Node, at: str) -> Problems:
    yield from _required_text(block, "label", at, most=LABEL, plain=True)
    if "hint" in block:
        yield from _text(block["hint"], f"{at}/hint", most=LABEL, plain=True)
    yield from _required(block, "element", at)
    if "element" in block:
        yield from _element(block["element"], f"{at}/element", INPUTS)


def _rich_text(block: Node, at: str) -> Problems:
    yield from _required(block, "elements", at)
    for index, element in enumerate(_items(block.get("elements"))):
        kind = element.get("type") if isinstance(element, dict) else None
        if kind not in _RICH_TEXT:
            yield _problem(f"unsupported type: {kind}", f"{at}/elements/{index}/type")


def _file(block: Node, at: str) -> Problems:
    for key in ("external_id", "source"):
        yield from _required(block, key, at)


def _video(block: Node, at: str) -> Problems:
    for key in ("alt_text", "thumbnail_url", "video_url"):
        yield from _required(block, key, at)
    yield from _required_text(block, "title", at, most=200, plain=True)


def _unchecked(node: Node, at: str) -> Problems:
    # Accepted by type alone: a divider has nothing to check; the newer blocks (layouts for AI
    # apps, calls) and elements are not documented precisely enough to check without refusing
    # what Slack takes.
    yield from ()


_BLOCKS: dict[str, Callable[[Node, str], Problems]] = {
    "section": _section,
    "header": _header,
    "divider": _unchecked,
    "markdown": _markdown,
    "context": _context,
    "actions": _actions,
    "context_actions": _context_actions,
    "image": _image,
    "input": _input,
    "rich_text": _rich_text,
    "file": _file,
    "video": _video,
    **dict.fromkeys(
        ("call", "table", "task_card", "plan", "card", "alert", "container", "carousel"), _unchecked
    ),
}


# -- elements --------------------------------------------------------------------------------


def _elements(block: Node, at: str, allowed: set[str], *, most: int) -> Problems:
    yield from _required(block, "elements", at)
    if "elements" not in block:
        return
    yield from _list(block["elements"], f"{at}/elements", most=most, least=1)
    for index, element in enumerate(_items(block["elements"])):
        yield from _element(element, f"{at}/elements/{index}", allowed)


def _element(element: object, at: str, allowed: set[str]) -> Problems:
    if not isinstance(element, dict):
        yield _problem("expected object", at)
        return
    kind = element.get("type")
    if kind not in allowed:
        yield _problem(f"unsupported type: {kind}", f"{at}/type")
        return
    if kind in _TEXT_KEYS:
        yield from _text(element, at, most=TEXT)
        return
    yield from _string(element, "action_id", at, most=ID)
    if "placeholder" in element:
        yield from _text(element["placeholder"], f"{at}/placeholder", most=PLACEHOLDER, plain=True)
    yield from _ELEMENTS.get(kind, _unchecked)(element, at)


def _button(element: Node, at: str) -> Problems:
    yield from _required_text(element, "text", at, most=BUTTON_TEXT, plain=True)
    yield from _string(element, "value", at, most=BUTTON_VALUE)
    yield from _string(element, "url", at, most=URL)


def _image_element(element: Node, at: str) -> Problems:
    if "image_url" not in element and "slack_file" not in element:
        yield _problem("missing required field: image_url", at)
    yield from _string(element, "image_url", at, most=URL)
    yield from _required(element, "alt_text", at)
    yield from _string(element, "alt_text", at, most=LABEL)


def _text_input(element: Node, at: str) -> Problems:
    for key, least in (("min_length", 0), ("max_length", 1)):
        value = element.get(key, least)
        if not isinstance(value, int) or isinstance(value, bool):
            yield _problem("expected integer", f"{at}/{key}")
        elif value > INPUT_MAX_LENGTH:
            yield _problem(f"must be less than {INPUT_MAX_LENGTH + 1}", f"{at}/{key}")
        elif value < least:
            yield _problem(f"must be more than {least - 1}", f"{at}/{key}")


def _select(element: Node, at: str) -> Problems:
    yield from _options(element, at, most=SELECT_OPTIONS, plain=True)


def _choices(element: Node, at: str) -> Problems:
    yield from _options(element, at, most=CHOICE_OPTIONS, plain=False)


def _overflow(element: Node, at: str) -> Problems:
    yield from _required(element, "options", at)
    yield from _options(element, at, most=OVERFLOW_OPTIONS, plain=True)


def _options(element: Node, at: str, *, most: int, plain: bool) -> Problems:
    if "options" not in element:
        return
    yield from _list(element["options"], f"{at}/options", most=most, least=1)
    for index, option in enumerate(_items(element["options"])):
        where = f"{at}/options/{index}"
        if not isinstance(option, dict):
            yield _problem("expected object", where)
            continue
        yield from _required_text(option, "text", where, most=OPTION_TEXT, plain=plain)
        yield from _required(option, "value", where)
        yield from _string(option, "value", where, most=OPTION_VALUE)
        yield from _string(option, "url", where, most=URL)


_ELEMENTS: dict[str, Callable[[Node, str], Problems]] = {
    "button": _button,
    "image": _image_element,
    "overflow": _overflow,
    "static_select": _select,
    "multi_static_select": _select,
    **dict.fromkeys(_CHOICES, _choices),
    **dict.fromkeys(_TEXT_INPUTS, _text_input),
}


# -- views -----------------------------------------------------------------------------------


def _view(view: object, at: str, kinds: tuple[str, ...]) -> Problems:
    if not isinstance(view, dict):
        yield _problem("expected object", at)
        return
    if "type" not in view:
        yield _problem("missing required field: type", at)
        return
    if view["type"] not in kinds:
        yield _problem(f"unsupported type: {view.get('type')}", f"{at}/type")
        return
    if view["type"] == "modal":
        yield from _required_text(view, "title", at, most=VIEW_LABEL, plain=True)
        for key in ("submit", "close"):
            if key in view:
                yield from _text(view[key], f"{at}/{key}", most=VIEW_LABEL, plain=True)
    yield from _string(view, "private_metadata", at, most=PRIVATE_METADATA)
    yield from _string(view, "callback_id", at, most=ID)
    yield from _string(view, "external_id", at, most=ID)
    yield from _required(view, "blocks", at)
    if "blocks" in view:
        yield from _list(view["blocks"], f"{at}/blocks", most=VIEW_BLOCKS, least=1)
        for index, block in enumerate(_items(view["blocks"])):
            yield from _block(block, f"{at}/blocks/{index}")
            if _is_input(block) and view["type"] == "modal" and "submit" not in view:
                yield _problem(
                    "must define `submit` to use an `input` block in modals", f"{at}/blocks/{index}"
                )


def _is_input(block: object) -> bool:
    return isinstance(block, dict) and block.get("type") == "input"


# -- text objects and fields -----------------------------------------------------------------


def _text(text: object, at: str, *, most: int, plain: bool = False) -> Problems:
    if not isinstance(text, dict):
        yield _problem("expected object", at)
        return
    kind = text.get("type")
    if kind not in (("plain_text",) if plain else tuple(_TEXT_KEYS)):
        yield _problem(f"unsupported type: {kind}", f"{at}/type")
        return
    for key in sorted(set(text) - _TEXT_KEYS[kind]):
        yield _problem(f"invalid additional property: {key}", at)
    yield from _required(text, "text", at)
    yield from _string(text, "text", at, most=most, least=1)


def _required_text(node: Node, key: str, at: str, *, most: int, plain: bool) -> Problems:
    yield from _required(node, key, at)
    if key in node:
        yield from _text(node[key], f"{at}/{key}", most=most, plain=plain)


def _required(node: Node, key: str, at: str) -> Problems:
    if key not in node:
        yield _problem(f"missing required field: {key}", at)


def _string(node: Node, key: str, at: str, *, most: int, least: int = 0) -> Problems:
    """``node[key]``, when present, is a string of ``least`` to ``most`` characters."""
    if key not in node:
        return
    value, where = node[key], f"{at}/{key}"
    if not isinstance(value, str):
        yield _problem("expected string", where)
    elif len(value) > most:
        yield _problem(f"must be less than {most + 1} characters", where)
    elif len(value) < least:
        yield _problem(f"must be more than {least - 1} characters", where)


def _list(value: object, at: str, *, most: int, least: int = 0) -> Problems:
    if not isinstance(value, list):
        yield _problem("expected array", at)
    elif len(value) > most:
        yield _problem(f"no more than {most} items allowed", at)
    elif len(value) < least:
        yield _problem(f"must provide at least {least} items", at)


def _items(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
