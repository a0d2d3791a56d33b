"""API of reviews: a reviewer's own cases and structured judgements, the review team's findings, and the
published summaries anyone may read."""

from rest_framework.routers import SimpleRouter

from reviews.api.judgement import FindingsSummaryViewSet, FindingsViewSet, JudgementViewSet, MyAssignmentViewSet

router = SimpleRouter()
router.register("my-assignments", MyAssignmentViewSet, basename="my-assignment")
router.register("judgements", JudgementViewSet, basename="judgement")
router.register("findings", FindingsViewSet, basename="findings")
router.register("findings-summaries", FindingsSummaryViewSet, basename="findings-summary")

urlpatterns = router.urls
