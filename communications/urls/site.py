"""Pages of communications: site."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
