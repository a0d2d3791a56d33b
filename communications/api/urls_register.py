"""API of communications: the public register of special measures (read-only)."""

from rest_framework.routers import SimpleRouter

from communications.api.register import PublicSpecialMeasuresViewSet

router = SimpleRouter()
router.register("public/special-measures", PublicSpecialMeasuresViewSet, basename="public-special-measures")

urlpatterns = router.urls
