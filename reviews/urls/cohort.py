"""Pages of reviews: cohort."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
