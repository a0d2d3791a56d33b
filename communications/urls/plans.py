"""Pages of communications: plans."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
