from django.contrib.sitemaps import views as sitemap_views
from django.urls import path
from django.views.decorators.cache import cache_control

from publishing import views
from publishing.feeds import FactCheckFeed
from publishing.sitemaps import SITEMAPS

app_name = "public"

sitemap_cache = cache_control(public=True, no_cache=True)
urlpatterns = [
    path("", views.fact_check_list, name="fact-checks"),
    path("fact-checks/<uuid:claim_id>/", views.fact_check_detail, name="fact-check-short"),
    path("fact-checks/<uuid:claim_id>/<str:slug>/", views.fact_check_detail, name="fact-check"),
    path(
        "fact-checks/<uuid:claim_id>/evidence/<uuid:evidence_id>/",
        views.public_evidence_file,
        name="evidence-file",
    ),
    path(
        "fact-checks/<uuid:claim_id>/evidence/<uuid:evidence_id>/archived/<uuid:capture_id>/",
        views.public_capture_file,
        name="evidence-archived",
    ),
    path("claimants/<uuid:source_id>/", views.claimant_detail, name="claimant"),
    path("feed.atom", FactCheckFeed(), name="feed"),
    path("claimreview-feed.json", views.data_feed, name="data-feed"),
    path(
        "sitemap.xml",
        sitemap_cache(sitemap_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "public:sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_cache(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
]
