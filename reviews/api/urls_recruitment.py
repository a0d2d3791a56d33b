"""API of reviews: recruitment."""

from rest_framework.routers import SimpleRouter

from reviews.api.recruitment import ApplicationViewSet, CampaignViewSet

router = SimpleRouter()
router.register("recruitment-campaigns", CampaignViewSet, basename="recruitment-campaign")
router.register("recruitment-applications", ApplicationViewSet, basename="recruitment-application")

urlpatterns = router.urls
