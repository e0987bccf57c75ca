from django.urls import include, path
from rest_framework.routers import SimpleRouter

from api import views
from interchange.export_api import ClaimExportApi
from verification.views import CAPTURE_FILES

app_name = "api"

router = SimpleRouter()
router.register("sources", views.SourceViewSet, basename="source")
router.register("claims", views.ClaimViewSet, basename="claim")

claim = "claims/<uuid:claim_id>/"
urlpatterns = [
    path("", views.ApiRootApi.as_view(), name="root"),
    path(f"{claim}transitions/", views.ClaimTransitionApi.as_view(), name="claim-transitions"),
    path(f"{claim}proposals/", views.ClaimProposalsApi.as_view(), name="claim-proposals"),
    path(f"{claim}approve/", views.ClaimApproveApi.as_view(), name="claim-approve"),
    path(f"{claim}reject/", views.ClaimRejectApi.as_view(), name="claim-reject"),
    path(f"{claim}publish/", views.ClaimPublishApi.as_view(), name="claim-publish"),
    path(f"{claim}unpublish/", views.ClaimUnpublishApi.as_view(), name="claim-unpublish"),
    path(f"{claim}appearances/", views.ClaimAppearancesApi.as_view(), name="claim-appearances"),
    path(f"{claim}statements/", views.ClaimStatementsApi.as_view(), name="claim-statements"),
    path(f"{claim}evidence/", views.ClaimEvidenceApi.as_view(), name="claim-evidence"),
    path(
        f"{claim}evidence/<uuid:evidence_id>/withdraw/",
        views.EvidenceWithdrawApi.as_view(),
        name="evidence-withdraw",
    ),
    path(
        f"{claim}evidence/<uuid:evidence_id>/public/",
        views.EvidencePublicApi.as_view(),
        name="evidence-public",
    ),
    path(
        f"{claim}evidence/<uuid:evidence_id>/capture/",
        views.EvidenceCaptureApi.as_view(),
        name="evidence-capture",
    ),
    *(
        path(
            f"{claim}evidence/<uuid:evidence_id>/captures/<uuid:capture_id>/{which}/",
            views.CaptureDownloadApi.as_view(),
            {"which": which},
            name=f"capture-{which}",
        )
        for which in CAPTURE_FILES
    ),
    path(
        f"{claim}evidence/<uuid:evidence_id>/download/",
        views.EvidenceDownloadApi.as_view(),
        name="evidence-download",
    ),
    path(f"{claim}history/", views.ClaimHistoryApi.as_view(), name="claim-history"),
    path(f"{claim}similar/", views.ClaimSimilarApi.as_view(), name="claim-similar"),
    path(f"{claim}merge/", views.ClaimMergeApi.as_view(), name="claim-merge"),
    path(f"{claim}links/", views.ClaimLinksApi.as_view(), name="claim-links"),
    path(f"{claim}links/<uuid:link_id>/", views.ClaimLinkApi.as_view(), name="claim-link"),
    path("claims/similar/", views.ClaimsSimilarApi.as_view(), name="claims-similar"),
    path("claims/export/", ClaimExportApi.as_view(), name="claim-export"),
    path("", include(router.urls)),
    path("", include("notifications.urls")),
    path("", include("interchange.urls")),
]
