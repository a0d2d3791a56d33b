"""Pages of communications: notices, for staff (the public pages are in ``communications.urls.site``)."""

from django.urls import path

from communications.views import notices

STAFF = "staff/communications/notices/"

urlpatterns = [
    path(STAFF, notices.notice_list, name="staff-notice-list"),
    path("staff/communications/cases/<int:case_pk>/notices/new/", notices.notice_new, name="notice-new"),
    path(f"{STAFF}<int:pk>/", notices.notice_detail, name="staff-notice-detail"),
    path(f"{STAFF}<int:pk>/edit/", notices.notice_edit, name="notice-edit"),
    path(f"{STAFF}<int:pk>/correct/", notices.notice_correct, name="notice-correct"),
    path(f"{STAFF}<int:pk>/submit/", notices.notice_submit, name="notice-submit"),
    path(f"{STAFF}<int:pk>/return/", notices.notice_return, name="notice-return"),
    path(f"{STAFF}<int:pk>/approve/", notices.notice_approve, name="notice-approve"),
    path(f"{STAFF}<int:pk>/publish/", notices.notice_publish, name="notice-publish"),
    path(f"{STAFF}<int:pk>/unschedule/", notices.notice_unschedule, name="notice-unschedule"),
    path(f"{STAFF}<int:pk>/discard/", notices.notice_discard, name="notice-discard"),
    path(f"{STAFF}<int:pk>/withdraw/", notices.notice_withdraw, name="notice-withdraw"),
]
