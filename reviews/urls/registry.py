"""Pages of reviews: the start page, a case's review, the expert registry, an expert's own record, candidates,
appointments and conflict waivers."""

from django.urls import path

from reviews.views import registry as views

urlpatterns = [
    path("staff/reviews/", views.home, name="home"),
    path("staff/reviews/cases/<int:case_pk>/", views.case_review, name="case-review"),
    path("staff/reviews/cases/<int:case_pk>/candidates/", views.candidates, name="candidates"),
    path("staff/reviews/cases/<int:case_pk>/appoint/<int:expert_pk>/", views.appoint, name="appoint"),
    path("staff/reviews/cases/<int:case_pk>/waive/<int:expert_pk>/", views.waive, name="waive"),
    path("staff/reviews/appointments/<int:pk>/end/", views.appointment_end, name="appointment-end"),
    path("staff/reviews/experts/", views.expert_list, name="expert-list"),
    path("staff/reviews/experts/new/", views.expert_new, name="expert-new"),
    path("staff/reviews/experts/<int:pk>/", views.expert_detail, name="expert-detail"),
    path("staff/reviews/experts/<int:pk>/edit/", views.expert_edit, name="expert-edit"),
    path("staff/reviews/experts/<int:pk>/employment/", views.expert_employment, name="expert-employment"),
    path("staff/reviews/experts/<int:pk>/interests/", views.expert_interest, name="expert-interest"),
    path("staff/reviews/experts/<int:pk>/training/", views.expert_training, name="expert-training"),
    path("staff/reviews/my-record/", views.my_record, name="my-record"),
    path("staff/reviews/my-record/availability/", views.my_record_edit, name="my-record-edit"),
    path("staff/reviews/my-record/employment/", views.my_record_employment, name="my-record-employment"),
    path("staff/reviews/my-record/interests/", views.my_record_interest, name="my-record-interest"),
    path("staff/reviews/my-record/training/", views.my_record_training, name="my-record-training"),
]
