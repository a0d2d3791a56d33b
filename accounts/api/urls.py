from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api.viewsets import MeView, OrganisationViewSet

router = SimpleRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")

urlpatterns = [path("me/", MeView.as_view(), name="me"), *router.urls]
