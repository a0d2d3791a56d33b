"""API of reviews: the review cohort, its imports, patients and assignments."""

from rest_framework.routers import SimpleRouter

from reviews.api.cohort import CohortAssignmentViewSet, CohortImportViewSet, CohortPatientViewSet, CohortViewSet

router = SimpleRouter()
router.register("cohorts", CohortViewSet, basename="cohort")
router.register("cohort-imports", CohortImportViewSet, basename="cohort-import")
router.register("cohort-patients", CohortPatientViewSet, basename="cohort-patient")
router.register("cohort-assignments", CohortAssignmentViewSet, basename="cohort-assignment")

urlpatterns = router.urls
