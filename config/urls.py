from django.contrib import admin
from django.urls import path

from verification.views import evidence_download

urlpatterns = [
    path("admin/", admin.site.urls),
    path("evidence/<uuid:evidence_id>/download/", evidence_download, name="evidence-download"),
]
