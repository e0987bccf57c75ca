from django.contrib import admin
from django.urls import path

from config.health import healthz, readyz
from verification.views import evidence_download

admin.site.site_header = "Claim tracker"
admin.site.site_title = "Claim tracker"
admin.site.index_title = "Review claims"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("evidence/<uuid:evidence_id>/download/", evidence_download, name="evidence-download"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]
