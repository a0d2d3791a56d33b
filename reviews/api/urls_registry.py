"""API of reviews: registry."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
