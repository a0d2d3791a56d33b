"""Pages of reviews: families' requests for a review of care, for the case's review chair."""

from django.urls import path

from reviews.views import requests as views

urlpatterns = [
    path("staff/reviews/review-requests/", views.review_request_list, name="review-request-list"),
    path("staff/reviews/review-requests/<int:pk>/", views.review_request_detail, name="review-request-detail"),
    path("staff/reviews/review-requests/<int:pk>/accept/", views.review_request_accept, name="review-request-accept"),
    path(
        "staff/reviews/review-requests/<int:pk>/decline/", views.review_request_decline, name="review-request-decline"
    ),
    path(
        "staff/reviews/review-requests/<int:pk>/outcome/", views.review_request_outcome, name="review-request-outcome"
    ),
]
