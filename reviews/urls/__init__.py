"""Pages of reviews, staff (under /staff/reviews/) and public, by sub-domain. Each module gives full paths."""

from django.urls import include, path

app_name = "reviews"

urlpatterns = [
    path("", include("reviews.urls.registry")),
    path("", include("reviews.urls.recruitment")),
    path("", include("reviews.urls.cohort")),
    path("", include("reviews.urls.judgement")),
    path("", include("reviews.urls.requests")),
]
