"""Email headers built from what users typed (a claim's text, an endpoint's description)."""

from __future__ import annotations

import unicodedata

# Django refuses a header with a line break (BadHeaderError); a long subject folds anyway.
HEADER_MAX_LENGTH = 200


def header_line(text: str, *, max_length: int = HEADER_MAX_LENGTH) -> str:
    """``text`` as one header-safe line: every line break (CR, LF, NEL, the Unicode line and
    paragraph separators), every other control or separator character becomes a space, runs
    of spaces become one, and a line longer than ``max_length`` ends with an ellipsis."""
    spaced = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") or char.isspace() else char
        for char in text
    )
    line = " ".join(spaced.split())
    if len(line) > max_length:
        line = line[: max_length - 1].rstrip() + "…"
    return line
