from rest_framework.routers import SimpleRouter

from interchange import api

router = SimpleRouter()
router.register("imports", api.ImportViewSet, basename="import")

urlpatterns = router.urls
