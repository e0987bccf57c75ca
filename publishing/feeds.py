"""The Atom feed of the latest published fact checks."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import linebreaksbr
from django.utils.cache import patch_cache_control
from django.utils.feedgenerator import Atom1Feed

from publishing import selectors
from publishing.selectors import FactCheck

FEED_SIZE = 50


class FactCheckFeed(Feed[FactCheck, None]):
    feed_type = Atom1Feed
    link = "/"

    def __call__(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().__call__(request, *args, **kwargs)
        patch_cache_control(response, public=True, no_cache=True)
        return response

    def title(self) -> str:
        return f"{settings.PUBLISHER_NAME}: fact checks"

    def subtitle(self) -> str:
        return "The latest published fact checks."

    def items(self) -> list[FactCheck]:
        return selectors.fact_checks(selectors.public_list()[:FEED_SIZE])

    def item_title(self, item: FactCheck) -> str:
        return f"{item.publication.rating_label}: {item.claim.text}"

    def item_description(self, item: FactCheck) -> str:
        # Atom's summary is HTML to a feed reader: the explanation as text in it.
        return str(linebreaksbr(item.publication.explanation, autoescape=True))

    def item_link(self, item: FactCheck) -> str:
        return item.path

    def item_guid(self, item: FactCheck) -> str:
        return f"urn:uuid:{item.claim.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: FactCheck) -> datetime:
        return item.date_published

    def item_updateddate(self, item: FactCheck) -> datetime:
        return item.publication.corrected_at or item.date_published

    def item_author_name(self, item: FactCheck) -> str:
        return settings.PUBLISHER_NAME
