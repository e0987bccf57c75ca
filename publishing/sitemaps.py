"""The sitemap: every published fact check and every claimant page, at SITE_URL's address."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef, QuerySet

from claims.models import Claim, Source
from publishing import selectors


class _SiteSitemap(Sitemap[Any]):
    def get_domain(self, site: Any = None) -> str:
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.SITE_URL).scheme or "https"


class FactCheckSitemap(_SiteSitemap):
    def items(self) -> QuerySet[Claim, Any]:
        return (
            selectors.public_claims()
            .order_by("-publication__publish_at", "pk")
            .values(
                "pk", "publication__slug", "publication__publish_at", "publication__corrected_at"
            )
        )

    def location(self, item: dict[str, Any]) -> str:
        return selectors.public_path(item["pk"], item["publication__slug"])

    def lastmod(self, item: dict[str, Any]) -> datetime:
        return item["publication__corrected_at"] or item["publication__publish_at"]


class ClaimantSitemap(_SiteSitemap):
    def items(self) -> QuerySet[Source]:
        public = selectors.public_claims().filter(claimant=OuterRef("pk"))
        return Source.objects.filter(Exists(public)).order_by("name", "pk")

    def location(self, item: Source) -> str:
        return selectors.claimant_path(item)


SITEMAPS = {"fact-checks": FactCheckSitemap, "claimants": ClaimantSitemap}
