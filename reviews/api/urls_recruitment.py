"""API of reviews: recruitment."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
