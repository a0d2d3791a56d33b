"""API of reviews: families' requests for a review of care, for the case's review chair."""

from rest_framework.routers import SimpleRouter

from reviews.api.requests import ReviewRequestViewSet

router = SimpleRouter()
router.register("review-requests", ReviewRequestViewSet, basename="review-request")

urlpatterns = router.urls
