"""Reading the world's fact checks: schema.org ClaimReview in every shape it is published in.

``reviews_read`` takes the bytes of a file or a page and yields one ``ExternalReview`` per
review it finds, or a ``Refused`` naming the item and what was wrong with it; a bad item never
stops the others. Shapes: ClaimReview as JSON-LD (one object, a list, an ``@graph``, JSON
Lines), embedded in an HTML page (JSON-LD and microdata, read with extruct), a Fact Check Tools
API ``claims:search`` response (``{"claims": [...]}``), and a schema.org ``DataFeed`` (Data
Commons', and our own ``/claimreview-feed.json``).

Real markup is messy, and each of these is read as its publisher meant it: ``ratingValue`` as
a string, a number or missing; an empty ``bestRating``; ``author`` as a list; ``@context``
missing, ``http`` or ``https``, or only on the ``@graph``'s parent; ``@type`` with a prefix or
a whole IRI; dates like ``2021-08-24 14:41`` or ``2021-7-16``; ratings that are sentences or
codes (``really_false``), kept exactly as written; text in any script.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

CLAIM_REVIEW = "ClaimReview"
# The longest text kept of a claim, a title or a label (the claim's own cap is 10,000).
TEXT_MAX = 10_000
LABEL_MAX = 500
# Lists in lists, graphs in graphs: real feeds nest two or three levels; deeper is refused.
DEPTH_MAX = 20


@dataclass(frozen=True)
class ExternalReview:
    """One publisher's review of one claim, as its markup says it."""

    url: str
    claim_text: str
    publisher_name: str = ""
    publisher_site: str = ""
    title: str = ""
    rating_label: str = ""  # the publisher's own words, as written
    rating_value: Decimal | None = None
    best_rating: Decimal | None = None
    worst_rating: Decimal | None = None
    reviewed_at: datetime | None = None
    language: str = ""
    claimant: str = ""
    claimant_is_person: bool | None = None
    claim_date: datetime | None = None
    appearances: tuple[str, ...] = field(default_factory=tuple)  # first appearance first
    where: str = field(default="", compare=False)  # where it is in the source


@dataclass(frozen=True)
class Refused:
    """An item that could not be read, and why (``where`` names it in the source)."""

    where: str
    reason: str


Read = ExternalReview | Refused


def reviews_read(content: bytes | str, *, base_url: str = "") -> Iterator[Read]:
    """Every review in ``content`` (JSON, JSON Lines or HTML), in the order it holds them."""
    found = False
    for read in _reads(content, base_url):
        found = True
        yield read
    if not found:
        yield Refused("the source", "It holds no ClaimReview.")


def _reads(content: bytes | str, base_url: str) -> Iterator[Read]:
    text = content.decode("utf-8-sig", errors="replace") if isinstance(content, bytes) else content
    text = text.lstrip("\ufeff").strip()
    if not text:
        yield Refused("the source", "It is empty.")
        return
    if text.startswith("<"):
        yield from _from_html(text, base_url)
        return
    try:
        data = json.loads(text)
    except ValueError:
        yield from _from_json_lines(text)
        return
    except RecursionError:
        yield Refused("the source", _TOO_DEEP)
        return
    yield from _from_data(data, "the document")


def _from_json_lines(text: str) -> Iterator[Read]:
    lines = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if len(lines) < 2:
        yield Refused("the source", "It is not JSON, JSON Lines or HTML.")
        return
    for number, line in lines:
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            yield Refused(f"line {number}", f"It is not JSON ({error.msg}).")
            continue
        except RecursionError:
            yield Refused(f"line {number}", _TOO_DEEP)
            continue
        yield from _from_data(data, f"line {number}")


def _from_html(html: str, base_url: str) -> Iterator[Read]:
    import extruct  # 0.8 s to import (lxml, rdflib): loaded only when a page is read

    try:
        found = extruct.extract(html, base_url=base_url or None, syntaxes=["json-ld", "microdata"])
    except Exception as error:
        yield Refused("the page", f"Its markup could not be read ({type(error).__name__}).")
        return
    reviews = 0
    for number, data in enumerate(found.get("json-ld", []), 1):
        for read in _from_data(data, f"JSON-LD block {number}"):
            reviews += 1
            yield read
    for number, item in enumerate(found.get("microdata", []), 1):
        for read in _from_data(_microdata_as_json_ld(item), f"microdata item {number}"):
            reviews += 1
            yield read
    if not reviews:
        yield Refused("the page", "It holds no ClaimReview (JSON-LD or microdata).")


def _microdata_as_json_ld(item: Any) -> Any:
    """extruct's microdata ({"type": ..., "properties": {...}}) as JSON-LD's shape."""
    if isinstance(item, list):
        return [_microdata_as_json_ld(part) for part in item]
    if not isinstance(item, dict) or "properties" not in item:
        return item
    converted = {name: _microdata_as_json_ld(value) for name, value in item["properties"].items()}
    kind = item.get("type")
    converted["@type"] = kind[0] if isinstance(kind, list) and kind else kind
    return converted


def _type_names(node: dict[str, Any]) -> set[str]:
    kinds = node.get("@type", node.get("type", []))
    names = kinds if isinstance(kinds, list) else [kinds]
    # "ClaimReview", "schema:ClaimReview", "http(s)://schema.org/ClaimReview"
    return {re.split(r"[/:#]", str(name))[-1] for name in names if name}


_TOO_DEEP = f"It is nested more than {DEPTH_MAX} levels deep: no ClaimReview is."


def _from_data(data: Any, where: str, depth: int = 0) -> Iterator[Read]:
    """The reviews of one parsed JSON value, whatever its shape."""
    if depth > DEPTH_MAX:
        yield Refused(where, _TOO_DEEP)
        return
    if isinstance(data, list):
        for number, item in enumerate(data):
            yield from _from_data(item, f"{where}, item {number + 1}", depth + 1)
        return
    if not isinstance(data, dict):
        yield Refused(where, "It is not a JSON object.")
        return
    if isinstance(data.get("claims"), list):  # Fact Check Tools API claims:search
        for number, claim in enumerate(data["claims"]):
            yield from _from_fact_check_tools(claim, f"{where}, claims[{number}]")
        return
    if "@graph" in data:
        yield from _from_data(data["@graph"], f"{where}, @graph", depth + 1)
        return
    kinds = _type_names(data)
    if "DataFeed" in kinds:
        for number, element in enumerate(_as_list(data.get("dataFeedElement"))):
            if (
                isinstance(element, dict)
                and "item" in element
                and CLAIM_REVIEW not in (_type_names(element))
            ):  # a DataFeedItem wrapping the review
                element = element["item"]
            yield from _from_data(element, f"{where}, dataFeedElement[{number}]", depth + 1)
        return
    if CLAIM_REVIEW in kinds or "claimReviewed" in data:
        yield _claim_review(data, where)
    else:
        name = ", ".join(sorted(kinds)) or "no @type"
        yield Refused(where, f"It is not a ClaimReview ({name}).")


def _from_fact_check_tools(claim: Any, where: str) -> Iterator[Read]:
    if not isinstance(claim, dict):
        yield Refused(where, "It is not a JSON object.")
        return
    reviews = _as_list(claim.get("claimReview"))
    if not reviews:
        yield Refused(where, "It has no claimReview.")
        return
    for number, review in enumerate(reviews):
        here = f"{where}.claimReview[{number}]"
        if not isinstance(review, dict):
            yield Refused(here, "It is not a JSON object.")
            continue
        given = review.get("publisher")
        publisher: dict[str, Any] = given if isinstance(given, dict) else {}
        yield _checked(
            here,
            url=_text(review.get("url")),
            claim_text=_text(claim.get("text"), TEXT_MAX),
            publisher_name=_text(publisher.get("name")),
            publisher_site=_site(_text(publisher.get("site"))),
            title=_text(review.get("title")),
            rating_label=_text(review.get("textualRating"), LABEL_MAX),
            reviewed_at=moment_parse(review.get("reviewDate")),
            language=_text(review.get("languageCode")),
            claimant=_text(claim.get("claimant")),
            claim_date=moment_parse(claim.get("claimDate")),
        )


def _claim_review(node: dict[str, Any], where: str) -> Read:
    rating = node.get("reviewRating")
    rating = rating[0] if isinstance(rating, list) and rating else rating
    rating = rating if isinstance(rating, dict) else {}
    publisher = _organisation(node.get("author")) or _organisation(node.get("publisher"))
    item = node.get("itemReviewed")
    item = item[0] if isinstance(item, list) and item else item
    item = item if isinstance(item, dict) else {}
    claimant = _person_or_organisation(item.get("author"))
    appearances = [
        url
        for url in (
            _work_url(item.get("firstAppearance")),
            *(_work_url(work) for work in _as_list(item.get("appearance"))),
            _text(item.get("url")),  # older markup: the claim's CreativeWork
        )
        if url
    ]
    return _checked(
        where,
        url=_text(node.get("url")),
        claim_text=_text(node.get("claimReviewed"), TEXT_MAX),
        publisher_name=publisher[0] if publisher else "",
        publisher_site=_site(publisher[1]) if publisher else "",
        title=_text(node.get("headline") or node.get("name")),
        rating_label=_text(rating.get("alternateName") or rating.get("name"), LABEL_MAX),
        rating_value=number_parse(rating.get("ratingValue")),
        best_rating=number_parse(rating.get("bestRating")),
        worst_rating=number_parse(rating.get("worstRating")),
        reviewed_at=moment_parse(node.get("datePublished")),
        language=_language(node.get("inLanguage")),
        claimant=claimant[0] if claimant else "",
        claimant_is_person=claimant[1] if claimant else None,
        claim_date=moment_parse(item.get("datePublished")),
        appearances=tuple(dict.fromkeys(appearances)),
    )


def _checked(where: str, **values: Any) -> Read:
    """The review, or why it cannot be one: a review is known by its URL and is of a claim."""
    url = values["url"]
    if not url:
        return Refused(where, "It has no url: a review is identified by its address.")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        return Refused(where, f"Its url {url[:200]!r} is not an http(s) address.")
    if not values["claim_text"]:
        return Refused(where, "It names no claim (claimReviewed is missing or empty).")
    if not values.get("publisher_site"):
        values["publisher_site"] = _site(url)
    return ExternalReview(**values, where=where)


# --- Values ---------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# Invisible characters scraped pages carry (zero-width space, word joiner, byte order mark):
# nothing a reader sees, so dropped rather than refused (the text policy refuses them).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff"))


def _text(value: Any, limit: int = 2000) -> str:
    """A text value as written (a list's first, a {"@value": ...}'s value), trimmed."""
    if isinstance(value, list):
        value = next((item for item in value if item not in (None, "")), "")
    if isinstance(value, dict):
        value = value.get("@value", value.get("name", ""))
    if value is None or isinstance(value, (dict, list)):
        return ""
    return " ".join(str(value).translate(_INVISIBLE).split())[:limit]


def _site(url: str) -> str:
    """A publisher's site as its host name (``factcheck.example.org``)."""
    if not url:
        return ""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    return host.removeprefix("www.")


def _organisation(value: Any) -> tuple[str, str] | None:
    """The first author that is an organisation (else the first with a name): name, url."""
    candidates = [item for item in _as_list(value) if isinstance(item, dict)]
    named = [item for item in candidates if _text(item.get("name"))]
    chosen = next((item for item in named if "Organization" in _type_names(item)), None)
    chosen = chosen or (named[0] if named else None)
    if chosen is None:
        plain = next((_text(item) for item in _as_list(value) if isinstance(item, str)), "")
        return (plain, "") if plain else None
    return _text(chosen.get("name")), _text(chosen.get("url") or chosen.get("sameAs"))


def _person_or_organisation(value: Any) -> tuple[str, bool | None] | None:
    for item in _as_list(value):
        if isinstance(item, str) and item.strip():
            return _text(item), None
        if isinstance(item, dict) and (name := _text(item.get("name"))):
            kinds = _type_names(item)
            return name, True if "Person" in kinds else False if kinds else None
    return None


def _work_url(value: Any) -> str:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        return _text(value.get("url") or value.get("@id"))
    return ""


def _language(value: Any) -> str:
    for item in _as_list(value):
        if isinstance(item, dict):
            item = item.get("alternateName") or item.get("name")
        if code := _text(item, 35):
            return code
    return ""


def number_parse(value: Any) -> Decimal | None:
    """A rating's number: 3, 3.5, "3", "3,5"; None for "", a word, or nothing."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    text = _text(value).replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


_MOMENT = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?\s*$"
)


def moment_parse(value: Any) -> datetime | None:
    """A date or date-time as publishers write them (ISO 8601 and the usual slips:
    ``2021-08-24 14:41``, ``2021-7-16``); without a zone, UTC. None when it is not one."""
    found = _MOMENT.match(_text(value))
    if not found:
        return None
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=_zone(zone),
        )
    except ValueError:  # 2021-02-30, 25:00
        return None
    return moment


def _zone(text: str | None) -> timezone:
    if not text or text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
