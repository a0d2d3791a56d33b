from django.urls import include, path

urlpatterns = [
    path("", include("communications.api.urls_notices")),
    path("", include("communications.api.urls_register")),
    path("", include("communications.api.urls_enquiries")),
]
