"""Pages of reviews: a reviewer's own cases and structured judgement reviews, the review team's findings, and
the published summaries the public reads."""

from django.urls import path

from reviews.views import judgement

urlpatterns = [
    path("staff/reviews/my-reviews/", judgement.my_reviews, name="my-reviews"),
    path("staff/reviews/my-reviews/<int:assignment_pk>/", judgement.judgement, name="judgement"),
    path("staff/reviews/cases/<int:case_pk>/findings/", judgement.findings, name="findings"),
    path("staff/reviews/cases/<int:case_pk>/findings.csv", judgement.findings_csv, name="findings-csv"),
    path("reviews/findings/", judgement.summary_list, name="summary-list"),
    path("reviews/findings/<int:pk>/", judgement.summary_detail, name="summary-detail"),
]
