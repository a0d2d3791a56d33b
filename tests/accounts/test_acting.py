"""The acting user and the validated input of a request (``accounts.acting``), for pages and the API alike."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.acting import acting_user, validated
from accounts.models import User

pytestmark = pytest.mark.django_db


class DaysSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {**attrs, "asked_by": self.context["request"].user}


def _api_post(body: dict[str, Any]) -> Request:
    return Request(APIRequestFactory().post("/", body, format="json"), parsers=[JSONParser()])


def test_it_returns_the_signed_in_user_of_a_page_request(client: Client, rf: RequestFactory, regulator: User) -> None:
    client.force_login(regulator)
    request = rf.get("/")
    request.session = client.session
    AuthenticationMiddleware(lambda r: HttpResponse()).process_request(request)  # the user is a lazy object
    assert acting_user(request) == regulator


def test_it_refuses_an_anonymous_page_request(rf: RequestFactory) -> None:
    request: HttpRequest = rf.get("/")
    request.user = AnonymousUser()
    with pytest.raises(PermissionDenied):
        acting_user(request)


def test_it_returns_the_signed_in_user_of_an_api_request(rf: RequestFactory, regulator: User) -> None:
    request = Request(rf.get("/"))
    request.user = regulator
    assert acting_user(request) == regulator


def test_it_refuses_an_anonymous_api_request(rf: RequestFactory) -> None:
    with pytest.raises(PermissionDenied):
        acting_user(Request(rf.get("/")))


def test_it_returns_the_validated_body() -> None:
    assert validated(DaysSerializer, _api_post({"days": "3"}))["days"] == 3


def test_it_gives_the_serializer_the_request(regulator: User) -> None:
    request = _api_post({"days": 3})
    request.user = regulator
    assert validated(DaysSerializer, request)["asked_by"] == regulator


def test_it_reads_the_data_it_is_given_instead_of_the_body(rf: RequestFactory) -> None:
    request = Request(rf.get("/", {"days": "5"}))
    assert validated(DaysSerializer, request, data=request.query_params)["days"] == 5


def test_it_raises_a_validation_error_naming_the_field_at_fault() -> None:
    with pytest.raises(ValidationError) as raised:
        validated(DaysSerializer, _api_post({"days": 0}))
    assert raised.value.detail == {"days": ["Ensure this value is greater than or equal to 1."]}
