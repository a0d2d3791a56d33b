from rest_framework.routers import SimpleRouter

from reviews.api.viewsets import AppointmentViewSet, ConflictWaiverViewSet, ExpertViewSet, ReviewCandidateViewSet

router = SimpleRouter()
router.register("experts", ExpertViewSet, basename="expert")
router.register("review-candidates", ReviewCandidateViewSet, basename="review-candidate")
router.register("conflict-waivers", ConflictWaiverViewSet, basename="conflict-waiver")
router.register("appointments", AppointmentViewSet, basename="appointment")

urlpatterns = router.urls
