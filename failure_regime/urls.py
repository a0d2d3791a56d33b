"""Root URLs: the only module, with the settings, that knows every app."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django_otp.admin import OTPAdminSite
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from communications.views import site
from failure_regime.views import health, home, notifications, public

admin.site.__class__ = OTPAdminSite
admin.site.site_header = "Single failure regime administration"
admin.site.login = RedirectView.as_view(pattern_name="accounts:sign-in", query_string=True)  # type: ignore[method-assign, assignment]

public_patterns = (
    [
        path("", site.home, name="home"),
        path("accessibility/", public.accessibility, name="accessibility"),
        path("privacy/", public.privacy, name="privacy"),
    ],
    "public",
)
provider_pattern = re_path(r"^providers/(?P<ods_code>[A-Z0-9]{3,6})/$", site.provider, name="provider-public")

api_patterns = [
    path("", include("accounts.api.urls")),
    path("", include("failure_regime.api.urls")),
    path("", include("reviews.api.urls")),
    path("", include("communications.api.urls")),
]

urlpatterns = [
    path("", include(public_patterns)),
    path("", include("accounts.urls")),
    path("staff/", home.home, name="staff-home"),
    path("staff/", include("failure_regime.staff_urls")),
    path("", include("reviews.urls")),
    path("", include("communications.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("calendar/<str:token>.ics", notifications.calendar_feed, name="calendar-feed"),
    provider_pattern,
    path("api/v1/", include((api_patterns, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler400 = "failure_regime.views.public.bad_request"
handler404 = "failure_regime.views.public.page_not_found"
handler403 = "failure_regime.views.public.permission_denied"
handler500 = "failure_regime.views.public.server_error"
