from django.urls import include, path
from rest_framework.routers import SimpleRouter

from reviews.api.viewsets import AppointmentViewSet, ConflictWaiverViewSet, ExpertViewSet, ReviewCandidateViewSet

router = SimpleRouter()
router.register("experts", ExpertViewSet, basename="expert")
router.register("review-candidates", ReviewCandidateViewSet, basename="review-candidate")
router.register("conflict-waivers", ConflictWaiverViewSet, basename="conflict-waiver")
router.register("appointments", AppointmentViewSet, basename="appointment")

urlpatterns = [
    *router.urls,
    path("", include("reviews.api.urls_registry")),
    path("", include("reviews.api.urls_recruitment")),
    path("", include("reviews.api.urls_cohort")),
    path("", include("reviews.api.urls_judgement")),
    path("", include("reviews.api.urls_requests")),
]
