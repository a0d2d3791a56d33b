"""A cohort patient's page and an expert's application are never kept by a browser or a shared cache."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from reviews.models import Application, Cohort, CohortPatient
from tests.reviews.cohort_fixtures import *  # noqa: F403
from tests.reviews.cohort_fixtures import ImportFile, csv_text
from tests.reviews.recruitment_fixtures import application, campaign, recruitment_lead  # noqa: F401

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def test_it_keeps_a_cohort_patient_page_out_of_caches(
    import_file: ImportFile, cohort: Cohort, manager: User, client_for: ClientFor
) -> None:
    Cohort.objects.filter(pk=cohort.pk).update(second_review_share=Decimal("0"))
    import_file(csv_text(1))
    patient = CohortPatient.objects.get()
    response = client_for(manager).get(reverse("reviews:patient-detail", args=[patient.pk]))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_it_keeps_an_application_page_out_of_caches(
    application: Application,  # noqa: F811
    recruitment_lead: User,  # noqa: F811
    client_for: ClientFor,
) -> None:
    response = client_for(recruitment_lead).get(reverse("reviews:application-detail", args=[application.pk]))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
