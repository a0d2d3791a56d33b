"""Uploaded files are offered back named and typed from the type read from their content, not from the name the
uploader gave them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from failure_regime.models import Concern
from tests.failure_regime.test_uploads import PDF_BYTES

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def upload_and_download(client: Client, concern: Concern, name: str) -> object:
    client.post(reverse("regime:concern-detail", args=[concern.pk]), {"evidence": SimpleUploadedFile(name, PDF_BYTES)})
    evidence = concern.evidence.get()
    return client.get(reverse("regime:evidence-download", args=[concern.pk, evidence.pk]))


def test_it_names_a_pdf_called_html_as_a_pdf(client_for: ClientFor, inspector: User, concern: Concern) -> None:
    response = upload_and_download(client_for(inspector), concern, "poly.html")
    assert response["Content-Disposition"] == 'attachment; filename="poly.pdf"'  # type: ignore[index]
    assert response["Content-Type"] == "application/pdf"  # type: ignore[index]


def test_it_forbids_browsers_to_sniff_a_download(client_for: ClientFor, inspector: User, concern: Concern) -> None:
    response = upload_and_download(client_for(inspector), concern, "poly.html")
    assert response["X-Content-Type-Options"] == "nosniff"  # type: ignore[index]


def test_it_keeps_a_name_that_already_fits_the_type(client_for: ClientFor, inspector: User, concern: Concern) -> None:
    response = upload_and_download(client_for(inspector), concern, "Minutes.PDF")
    assert response["Content-Disposition"] == 'attachment; filename="Minutes.PDF"'  # type: ignore[index]


def test_it_names_a_pdf_without_an_extension(client_for: ClientFor, inspector: User, concern: Concern) -> None:
    response = upload_and_download(client_for(inspector), concern, "minutes")
    assert response["Content-Disposition"] == 'attachment; filename="minutes.pdf"'  # type: ignore[index]
