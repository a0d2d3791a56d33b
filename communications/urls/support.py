"""Pages of communications: support."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
