"""Pages of communications, staff (under /staff/communications/) and public, by sub-domain. Each module gives
full paths."""

from django.urls import include, path

app_name = "communications"

urlpatterns = [
    path("", include("communications.urls.plans")),
    path("", include("communications.urls.notices")),
    path("", include("communications.urls.site")),
    path("", include("communications.urls.support")),
    path("", include("communications.urls.enquiries")),
]
