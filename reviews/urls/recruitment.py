"""Pages of reviews: recruitment. Staff pages under /staff/reviews/; public pages under /join-a-review/."""

from django.urls import URLPattern, path, re_path

from reviews.views import recruitment as views

urlpatterns: list[URLPattern] = [
    path("staff/reviews/cases/<int:case_pk>/recruitment/", views.campaign_list, name="campaign-list"),
    path("staff/reviews/cases/<int:case_pk>/recruitment/new/", views.campaign_new, name="campaign-new"),
    path("staff/reviews/recruitment/<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("staff/reviews/recruitment/<int:pk>/close/", views.campaign_close, name="campaign-close"),
    path("staff/reviews/applications/<int:pk>/", views.application_detail, name="application-detail"),
    path("staff/reviews/applications/<int:pk>/checks/", views.application_check, name="application-check"),
    path("staff/reviews/applications/<int:pk>/approve/", views.application_approve, name="application-approve"),
    path("staff/reviews/applications/<int:pk>/reject/", views.application_reject, name="application-reject"),
    path("staff/reviews/applications/<int:pk>/invitation/", views.invitation_renew, name="invitation-renew"),
    path("join-a-review/", views.join, name="join"),
    path("join-a-review/<int:campaign_pk>/apply/", views.apply, name="apply"),
    re_path(
        r"^join-a-review/applications/(?P<reference>A-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})/$",
        views.application_sent,
        name="application-sent",
    ),
    path("join-a-review/account-ready/", views.account_ready, name="account-ready"),
    re_path(
        r"^join-a-review/invitation/(?P<token>[A-Za-z0-9_-]{20,64})/$",
        views.invitation_accept,
        name="invitation-accept",
    ),
]
