"""What text written by people may hold, wherever it is written (admin, API, services).

One policy for every field a person types into: text is stored in Unicode's NFC form, and
characters that hide or disguise what a reader sees are refused with a message naming them:
control characters, bidirectional overrides, embeddings and isolates (``abc\u202egnp.exe``
shows as ``abcexe.png``), invisible zero-width characters, non-characters and lone surrogates.
Right-to-left scripts themselves, the left-to-right and right-to-left marks, and the
zero-width joiner and non-joiner (needed by Persian, Indic scripts and emoji sequences) are
text, and pass untouched. Line breaks belong only in multi-line fields, where ``\\r\\n`` and
``\\r`` are stored as ``\\n``.

Web addresses are stored as the URIs the API's schema declares (``format: uri``): http or
https only, no spaces, quotes or angle brackets; non-ASCII letters (an IRI pasted from a
browser) are percent-encoded and an international host name is stored in its ASCII form.

Models use the fields below; the API's hand-written input serializers use the validators.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator, URLValidator
from django.db import models
from django.utils.deconstruct import deconstructible

# Characters with a name of their own in the messages (the rest are named by their category).
_NAMES = {
    0x00: "null character",
    0x09: "tab",
    0x0A: "line break",
    0x0D: "carriage return",
    0x1B: "escape character",
    0x200B: "zero-width space",
    0x2028: "line separator",
    0x2029: "paragraph separator",
    0x202A: "left-to-right embedding",
    0x202B: "right-to-left embedding",
    0x202C: "pop directional formatting",
    0x202D: "left-to-right override",
    0x202E: "right-to-left override",
    0x2060: "word joiner",
    0x2066: "left-to-right isolate",
    0x2067: "right-to-left isolate",
    0x2068: "first strong isolate",
    0x2069: "pop directional isolate",
    0xFEFF: "zero-width no-break space (byte order mark)",
}
_LINE_BREAKS = frozenset({0x0A, 0x0D, 0x2028, 0x2029})
# Allowed in multi-line fields, refused in single-line ones.
_MULTI_LINE_ONLY = _LINE_BREAKS | {0x09}
_REFUSED_FORMAT = frozenset(
    {*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200B, 0x2060, 0xFEFF}
)


def _refused_name(code: int, *, multiline: bool) -> str | None:
    """What to call ``code`` in a message if it is refused; None if it may be stored."""
    if code in _MULTI_LINE_ONLY:
        return None if multiline else _NAMES[code]
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return _NAMES.get(code, "control character")
    if code in _REFUSED_FORMAT:
        return _NAMES[code]
    if 0xD800 <= code <= 0xDFFF:
        return "lone surrogate"
    if 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE:
        return "non-character"
    return None


def text_problem(value: str, *, multiline: bool) -> str | None:
    """The message for the first character of ``value`` that may not be stored, or None."""
    for char in value:
        code = ord(char)
        if code < 0x80 and 0x20 <= code < 0x7F:
            continue  # printable ASCII, the common case
        name = _refused_name(code, multiline=multiline)
        if name is not None:
            where = "" if multiline or code not in _MULTI_LINE_ONLY else ": this is a single line"
            return f"Remove the {name} (U+{code:04X}){where}."
    return None


def text_normalise(value: str, *, multiline: bool) -> str:
    """NFC; in multi-line text every line break (``\\r\\n``, ``\\r``, U+2028/9) becomes ``\\n``."""
    try:
        value = unicodedata.normalize("NFC", value)
    except UnicodeError:  # a lone surrogate: refused by the validator, which names it
        return value
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        value = value.replace("\u2028", "\n").replace("\u2029", "\n")
    return value


# The policy as a regular expression, for the API's schema (a RegexValidator's pattern becomes
# the field's "pattern"), so that clients and schema-driven tests know what is accepted. It
# covers the Basic Multilingual Plane; the validator also refuses lone surrogates and the
# non-characters of the other planes. One character at least: the schema allows a blank
# field ("") apart, and the two must not overlap.
_REFUSED_CLASS = (
    r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2060\u2066-\u2069"
    r"\ufdd0-\ufdef\ufeff\ufffe\uffff"
)
_MULTI_LINE_PATTERN = rf"\A[^{_REFUSED_CLASS}]+\Z"
_SINGLE_LINE_PATTERN = rf"\A[^\t\n\r\u2028\u2029{_REFUSED_CLASS}]+\Z"


@deconstructible
class TextValidator(RegexValidator):
    """Refuses the characters the policy refuses (see the module's docstring)."""

    code = "forbidden_character"

    def __init__(self, *, multiline: bool) -> None:
        super().__init__(_MULTI_LINE_PATTERN if multiline else _SINGLE_LINE_PATTERN)
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        if isinstance(value, str):
            message = text_problem(value, multiline=self.multiline)
            if message is not None:
                raise ValidationError(message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash(self.multiline)


single_line = TextValidator(multiline=False)
multi_line = TextValidator(multiline=True)


def text_clean(
    value: str, *, field: str, multiline: bool = True, max_length: int | None = None
) -> str:
    """``value`` normalised and stripped, or a ``ValidationError`` on ``field``.

    For services whose text does not pass through a model's ``full_clean``; the messages are
    the ones the model fields give.
    """
    value = text_normalise(value, multiline=multiline).strip()
    message = text_problem(value, multiline=multiline)
    if message is not None:
        raise ValidationError({field: message}, code=TextValidator.code)
    if max_length is not None:
        try:
            MaxLengthValidator(max_length)(value)
        except ValidationError as error:
            raise ValidationError({field: error.messages}) from None
    return value


# --- Web addresses -----------------------------------------------------------------------------

WEB_ADDRESS_MESSAGE = (
    "Enter a web address that starts with http:// or https://, without spaces, quotes or"
    ' angle brackets (percent-encode them: a space is %20, " is %22, < is %3C, > is %3E).'
)
# What RFC 3986 allows in a URI; anything else in ASCII is refused, not encoded, so that the
# admin and the API refuse the same input. Non-ASCII is encoded by web_address_normalise().
_URI_ASCII = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_HTTP = URLValidator(schemes=["http", "https"])


@deconstructible
class WebAddressValidator:
    """An http or https URL that is a valid URI once its non-ASCII letters are encoded."""

    code = "invalid_web_address"

    def __call__(self, value: Any) -> None:
        if not isinstance(value, str) or not value:
            return
        ascii_part = "".join(char for char in value if ord(char) < 0x80)
        if not _URI_ASCII.fullmatch(ascii_part) or text_problem(value, multiline=False):
            raise ValidationError(WEB_ADDRESS_MESSAGE, code=self.code)
        try:
            _HTTP(value)
        except ValidationError:
            raise ValidationError(WEB_ADDRESS_MESSAGE, code=self.code) from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WebAddressValidator)

    def __hash__(self) -> int:
        return hash(WebAddressValidator)


web_address = WebAddressValidator()


def web_address_normalise(value: str) -> str:
    """The URI of an IRI: an ASCII host name (IDNA), other non-ASCII percent-encoded (UTF-8)."""
    value = value.strip()
    if value.isascii():
        return value
    try:
        parts = urlsplit(unicodedata.normalize("NFC", value))
        host = parts.hostname or ""
        netloc = parts.netloc
        if host and not host.isascii():
            netloc = netloc.replace(host, host.encode("idna").decode("ascii"))
    except (ValueError, UnicodeError):
        return value  # left as it is: the validator says what is wrong

    def encode(part: str) -> str:
        return "".join(quote(char, safe="") if ord(char) >= 0x80 else char for char in part)

    return urlunsplit(
        (
            parts.scheme,
            encode(netloc),
            encode(parts.path),
            encode(parts.query),
            encode(parts.fragment),
        )
    )


# --- Model fields --------------------------------------------------------------------------------


class SingleLineTextField(models.CharField):
    """A line of text (a name, a role, a tag): NFC, no line breaks or hidden characters."""

    default_validators = [single_line]

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return text_normalise(value, multiline=False) if isinstance(value, str) else value


class MultiLineTextField(models.TextField):
    """Prose (a claim, a quote, notes): NFC, ``\\n`` line breaks, no hidden characters."""

    default_validators = [multi_line]

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return text_normalise(value, multiline=True) if isinstance(value, str) else value


class WebAddressField(models.URLField):
    """An http(s) URL stored as a URI (see WebAddressValidator)."""

    default_validators = [web_address]

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return web_address_normalise(value) if isinstance(value, str) else value

    def formfield(self, **kwargs: Any) -> Any:
        # Not Django's form URLField: it would complete an address without a scheme, which
        # the API refuses, and say "Enter a valid URL." beside the model's message; the model's
        # validator alone decides, with the same words.
        return super().formfield(**{"form_class": forms.CharField, **kwargs})
