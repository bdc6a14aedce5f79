"""The SIMULATED model reading attached files: it answers from a fenced log's error line.

The app fences an attached file's text as ``<untrusted-data source="slack-file" tool="NAME">``
(``local-file`` from the console). Asked about such a file, the simulated model quotes the first
line naming an error, says how many more there were, and names any image it was shown. Whatever
the file says is data: nothing in it is followed.
"""

from __future__ import annotations

import re

from simulators.llm.answer_writer import SIMULATED_NOTE

_FILE_FENCE = re.compile(
    r'<untrusted-data source="(?:slack|local)-file" tool="([^"]*)">\n(.*?)\n</untrusted-data>', re.DOTALL
)
_IMAGE_NOTE = re.compile(
    r"The user attached ([^\n]+?), an image(: it follows this text| this model cannot see)\."
)
_ERROR = re.compile(r"\b(error|exception|fatal|failed|traceback|panic)\b", re.IGNORECASE)


def attached_files(text: str) -> bool:
    """Whether the user's message carries an attached file (its text, or an image)."""
    return bool(_FILE_FENCE.search(text) or _IMAGE_NOTE.search(text))


def file_answer(text: str) -> str:
    """The answer to a question about the files attached in ``text``."""
    paragraphs = [_about(name, body) for name, body in _FILE_FENCE.findall(text)]
    paragraphs += [
        f"I looked at the image {name} you attached." if shown.startswith(":") else f"I cannot see {name}."
        for name, shown in _IMAGE_NOTE.findall(text)
    ]
    return "\n\n".join([*paragraphs, SIMULATED_NOTE])


def _about(name: str, body: str) -> str:
    # The reduction's own notes ("[… 40 lines left out …]") are the app's, not the log's.
    errors = [line.strip() for line in body.splitlines() if _ERROR.search(line) and not line.startswith("[")]
    if not errors:
        return f"I read {name} and found no line naming an error."
    more = f" ({len(errors) - 1} more error lines follow it.)" if len(errors) > 1 else ""
    return f"The first error in {name} is:\n> {errors[0]}{more}"
