"""README.md for a new user: it opens with `make demo` and `make test`, and points only inside the repository.

Every relative Markdown link in README.md and ARCHITECTURE.md must name a file or folder of this
repository (a link to ``../shared/...`` or to an absolute path breaks in every other clone), and
every repository path README.md names in a code span (``bot/pricing.py``, ``manifest.yml``) must
exist. Web links (``https://...``) and in-page anchors are not checked.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINKED_DOCUMENTS = ("README.md", "ARCHITECTURE.md")
FIRST_COMMANDS = ["make demo", "make test"]

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)]*)?\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# A path as README would write one: folders separated by "/", ending in a file type we keep in
# the repository or in "/" for a folder (an absolute or ../ path matches too, and then fails).
_REPO_PATH = re.compile(r"^/?[\w.-]+(/[\w.-]+)*(\.(py|md|yml|yaml|toml|json|cfg|ini|txt)|/)$")


def prose(markdown: str) -> str:
    """The text outside fenced code blocks and code spans: where Markdown links live."""
    return _CODE_SPAN.sub("", _FENCE.sub("", markdown))


def relative_links(markdown: str) -> Iterator[str]:
    """The targets of inline, image and reference links that are not web addresses or anchors."""
    text = prose(markdown)
    for target in [*_INLINE_LINK.findall(text), *_REFERENCE.findall(text)]:
        if not _SCHEME.match(target) and not target.startswith("#"):
            yield target


def unresolved(document: Path, target: str, root: Path = ROOT) -> str | None:
    """Why `target`, linked from `document`, does not resolve inside `root`; None when it does."""
    path = target.split("#", 1)[0].split("?", 1)[0]
    if path.startswith("/"):
        return f"{target}: an absolute path"
    # Lexically, not through the file system: ../main/README.md leaves a clone that is not named main.
    inside = posixpath.normpath(posixpath.join(document.parent.relative_to(root).as_posix(), path))
    if inside == ".." or inside.startswith("../"):
        return f"{target}: outside the repository"
    if not (root / inside).exists():
        return f"{target}: no such file in the repository"
    return None


def named_paths(markdown: str) -> Iterator[str]:
    """The repository paths a document names in code spans outside its code blocks."""
    for span in _CODE_SPAN.findall(_FENCE.sub("", markdown)):
        if _REPO_PATH.match(span.strip()):
            yield span.strip()


def first_commands(markdown: str) -> list[str]:
    """The commands of the first code block, when it comes before the first section heading."""
    intro = re.split(r"^## ", markdown, maxsplit=1, flags=re.MULTILINE)[0]
    block = _FENCE.search(intro)
    if block is None:
        return []
    lines = block.group(0).splitlines()[1:-1]
    return [command for line in lines if (command := line.split("#", 1)[0].strip())]


def test_every_relative_link_in_readme_and_architecture_resolves_inside_the_repository() -> None:
    problems = [
        f"{name}: {problem}"
        for name in LINKED_DOCUMENTS
        for target in relative_links((ROOT / name).read_text("utf-8"))
        if (problem := unresolved(ROOT / name, target))
    ]
    assert not problems, "\n".join(problems)


def test_every_repository_path_readme_names_exists() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    missing = [path for path in named_paths(readme) if unresolved(ROOT / "README.md", path)]
    assert not missing, f"README.md names paths this repository does not have: {missing}"


def test_readme_opens_with_make_demo_and_make_test() -> None:
    assert first_commands((ROOT / "README.md").read_text("utf-8")) == FIRST_COMMANDS


def test_the_checks_catch_links_and_paths_that_leave_the_repository(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    for path in ("docs/guide.md", "bot/pricing.py"):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("")
    document = root / "README.md"
    markdown = (
        "See [the guide](docs/guide.md#setup), [design](../shared/DESIGN.md), ![logo](/srv/logo.png),\n"
        "[gone](docs/gone.md), [Slack](https://api.slack.com/apps) and [below](#usage),\n"
        "[round trip](../repo/docs/guide.md): out of this clone's folder and back in by its name.\n"
        "`[in code](../elsewhere.md)` and `bot/pricing.py`, `owner/repo`, `/jira OPS-2`,\n"
        "`../shared/DESIGN.md`, `/work/shared/notes.md`.\n\n"
        "[notes]: ../notes/engineering-anchors.md\n"
        "```\n[fenced](../fenced.md)\n```\n"
    )

    problems = {target: unresolved(document, target, root=root) for target in relative_links(markdown)}
    named = list(named_paths(markdown))

    assert problems == {
        "docs/guide.md#setup": None,
        "../shared/DESIGN.md": "../shared/DESIGN.md: outside the repository",
        "/srv/logo.png": "/srv/logo.png: an absolute path",
        "docs/gone.md": "docs/gone.md: no such file in the repository",
        "../repo/docs/guide.md": "../repo/docs/guide.md: outside the repository",
        "../notes/engineering-anchors.md": "../notes/engineering-anchors.md: outside the repository",
    }
    assert named == ["bot/pricing.py", "../shared/DESIGN.md", "/work/shared/notes.md"]
    assert [unresolved(document, path, root=root) is None for path in named] == [True, False, False]


def test_the_first_commands_are_read_from_the_first_block_before_any_section() -> None:
    assert first_commands("# x\n\n```sh\nmake demo   # try it\n\nmake test\n```\n") == FIRST_COMMANDS
    assert first_commands("# x\n\n## Setup\n\n```sh\nmake demo\nmake test\n```\n") == []
    assert first_commands("# x\n\n```sh\nmake test\nmake demo\n```\n") == ["make test", "make demo"]
