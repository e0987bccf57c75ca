from django.urls import include, path
from rest_framework.routers import SimpleRouter

from notifications import api

router = SimpleRouter()
router.register("subscriptions", api.SubscriptionViewSet, basename="subscription")
router.register("webhooks", api.WebhookEndpointViewSet, basename="webhook")
deliveries = SimpleRouter()
deliveries.register("deliveries", api.DeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path("webhooks/<uuid:endpoint_id>/", include(deliveries.urls)),
    path("", include(router.urls)),
]
