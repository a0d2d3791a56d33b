from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api.events import EventViewSet
from accounts.api.viewsets import MeView, OrganisationViewSet
from accounts.api.webhooks import WebhookViewSet

router = SimpleRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("events", EventViewSet, basename="event")
router.register("webhooks", WebhookViewSet, basename="webhook")

urlpatterns = [path("me/", MeView.as_view(), name="me"), *router.urls]
