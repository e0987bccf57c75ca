"""JSON from outside (request bodies, evidence files), parsed only if it nests a bounded depth.

Python's ``json`` parses nested arrays and objects by recursion: a few thousand ``[`` raise
``RecursionError``. The depth is therefore measured first, by a scan without recursion.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_JSON_DEPTH = 64

# A string: from its quote to the closing quote, or to the end if it is unterminated (the
# parser refuses it then). Possessive, so each string is read once, whatever it holds.
_STRING = re.compile(r'"(?:[^"\\]++|\\.?)*+(?:"|\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_OPENERS = frozenset("[{")


class JSONTooDeepError(ValueError):
    """JSON nesting arrays and objects deeper than ``MAX_JSON_DEPTH``."""

    def __init__(self) -> None:
        super().__init__(
            f"The JSON nests arrays and objects more than {MAX_JSON_DEPTH} levels deep; "
            f"at most {MAX_JSON_DEPTH} levels are accepted."
        )
        self.message = str(self)


def json_depth_check(text: str) -> None:
    """Raise ``JSONTooDeepError`` if ``text`` opens arrays/objects deeper than the limit."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = 0
    for char in brackets:
        if char in _OPENERS:
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise JSONTooDeepError
        else:
            depth -= 1


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON.")


def json_parse(text: str, *, strict: bool = True) -> Any:
    """Parse ``text``; ``ValueError`` if malformed or too deep. Strict: no NaN or Infinity."""
    json_depth_check(text)
    return json.loads(text, parse_constant=_constant if strict else None)
