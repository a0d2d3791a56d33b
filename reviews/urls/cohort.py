"""Pages of reviews: a case's review cohort, its imports, patients and assignments."""

from django.urls import path

from reviews.views import cohort as views

urlpatterns = [
    path("staff/reviews/cases/<int:case_pk>/cohort/", views.cohort, name="cohort"),
    path("staff/reviews/cases/<int:case_pk>/cohort/start/", views.cohort_create, name="cohort-create"),
    path("staff/reviews/cases/<int:case_pk>/cohort/waves/new/", views.wave_new, name="wave-new"),
    path("staff/reviews/cases/<int:case_pk>/cohort/imports/new/", views.import_new, name="import-new"),
    path("staff/reviews/cases/<int:case_pk>/cohort/assign/", views.cohort_assign, name="cohort-assign"),
    path("staff/reviews/cases/<int:case_pk>/cohort/patients/", views.patient_list, name="patient-list"),
    path("staff/reviews/cases/<int:case_pk>/cohort/patients/find/", views.patient_find, name="patient-find"),
    path("staff/reviews/cohort-imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("staff/reviews/cohort-template.csv", views.import_template, name="import-template"),
    path("staff/reviews/cohort-patients/<int:pk>/", views.patient_detail, name="patient-detail"),
    path("staff/reviews/assignments/<int:pk>/reassign/", views.assignment_reassign, name="assignment-reassign"),
]
