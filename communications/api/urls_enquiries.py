"""API of communications: enquiries."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
