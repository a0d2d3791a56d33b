"""Pages of communications: the support directory, public (/support/) and for staff."""

from django.urls import path

from communications.views import support

STAFF = "staff/communications/support-services/"

urlpatterns = [
    path("support/", support.support, name="support"),
    path(STAFF, support.service_list, name="service-list"),
    path(f"{STAFF}new/", support.service_new, name="service-new"),
    path(f"{STAFF}<int:pk>/", support.service_detail, name="service-detail"),
    path(f"{STAFF}<int:pk>/edit/", support.service_edit, name="service-edit"),
    path(f"{STAFF}<int:pk>/opening-times/", support.service_hours, name="service-hours"),
    path(f"{STAFF}<int:pk>/cases/", support.service_link, name="service-link"),
    path(f"{STAFF}<int:pk>/cases/<int:case_pk>/unlink/", support.service_unlink, name="service-unlink"),
    path(f"{STAFF}<int:pk>/deactivate/", support.service_deactivate, name="service-deactivate"),
    path(f"{STAFF}<int:pk>/reactivate/", support.service_reactivate, name="service-reactivate"),
]
