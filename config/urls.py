from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api.permissions import DocsAccess
from config.health import healthz, readyz
from verification.views import CAPTURE_FILES, capture_download, evidence_download

docs = [DocsAccess]  # open in development; tokens and staff in production (API_DOCS_PUBLIC)
urlpatterns = [
    path("admin/", admin.site.urls),
    path("evidence/<uuid:evidence_id>/download/", evidence_download, name="evidence-download"),
    *(
        path(
            f"captures/<uuid:capture_id>/{which}/",
            capture_download,
            {"which": which},
            name=f"capture-{which}",
        )
        for which in CAPTURE_FILES
    ),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=docs), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema", permission_classes=docs),
        name="api-docs",
    ),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("", include("publishing.urls")),
]

handler400 = "core.problems.bad_request"
handler404 = "core.problems.page_not_found"
handler500 = "core.problems.server_error"
