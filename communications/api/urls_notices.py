"""API of communications: notices (the public, read-only endpoints)."""

from rest_framework.routers import SimpleRouter

from communications.api.notices import PublicNoticeViewSet

router = SimpleRouter()
router.register("public-notices", PublicNoticeViewSet, basename="public-notice")

urlpatterns = router.urls
