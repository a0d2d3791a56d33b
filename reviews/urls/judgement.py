"""Pages of reviews: judgement."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
