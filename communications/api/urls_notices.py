"""API of communications: notices."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
