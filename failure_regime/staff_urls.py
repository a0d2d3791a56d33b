"""Staff pages of the regime, under /staff/."""

from django.urls import path

from failure_regime.views import cases, concerns, enforcement, special_measures

app_name = "regime"

urlpatterns = [
    path("concerns/", concerns.concern_list, name="concern-list"),
    path("concerns/new/", concerns.concern_new, name="concern-new"),
    path("concerns/<int:pk>/", concerns.concern_detail, name="concern-detail"),
    path("concerns/<int:pk>/evidence/<int:evidence_pk>/", concerns.evidence_download, name="evidence-download"),
    path("cases/", cases.case_list, name="case-list"),
    path("cases/new/", cases.case_new, name="case-new"),
    path("cases/<int:pk>/", cases.case_detail, name="case-detail"),
    path("cases/<int:pk>/sign-off/", cases.case_sign_off, name="case-sign-off"),
    path("cases/<int:pk>/sign-off/<int:organisation_pk>/withdraw/", cases.case_withdraw, name="case-withdraw"),
    path("cases/<int:pk>/parties/", cases.case_party_add, name="case-party-add"),
    path("cases/<int:pk>/leads/", cases.case_lead, name="case-lead"),
    path("cases/<int:pk>/terms/", cases.case_terms, name="case-terms"),
    path("cases/<int:pk>/activate/", cases.case_activate, name="case-activate"),
    path("cases/<int:pk>/close/", cases.case_close, name="case-close"),
    path("enforcement/", enforcement.enforcement_list, name="enforcement-list"),
    path("enforcement/new/", enforcement.enforcement_new, name="enforcement-new"),
    path("enforcement/<int:pk>/", enforcement.enforcement_detail, name="enforcement-detail"),
    path("deadlines/", enforcement.deadline_list, name="deadline-list"),
    path("special-measures/", special_measures.dashboard, name="episode-list"),
    path("special-measures/new/", special_measures.episode_new, name="episode-new"),
    path("special-measures/<int:pk>/", special_measures.episode_detail, name="episode-detail"),
    path("special-measures/<int:pk>/actions/", special_measures.action_add, name="action-add"),
    path("special-measures/<int:pk>/actions/<int:action_pk>/", special_measures.action_edit, name="action-edit"),
    path("special-measures/<int:pk>/inspections/", special_measures.inspection_schedule, name="inspection-schedule"),
    path(
        "special-measures/<int:pk>/inspections/<int:inspection_pk>/",
        special_measures.inspection_record,
        name="inspection-record",
    ),
    path("special-measures/<int:pk>/outcome/", special_measures.episode_outcome, name="episode-outcome"),
    path("special-measures/<int:pk>/reports/<int:year>-<int:month>/", special_measures.report_form, name="report-form"),
    path("reports/<int:pk>/", special_measures.report_detail, name="report-detail"),
    path("reports/<int:pk>/evidence/<int:evidence_pk>/", special_measures.report_evidence, name="report-evidence"),
]
