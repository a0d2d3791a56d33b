from __future__ import annotations

import io
import os
import socket
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation, User
from failure_regime.models import Concern, ConcernEvidence
from failure_regime.screening import EICAR, clamd_scan
from failure_regime.services.concerns import concern_raise
from failure_regime.uploads import DOCX, PDF, XLSX, check_upload
from tests.factories import sole_organisation
from tests.failure_regime.test_uploads import PDF_BYTES, office

CONTENT_TYPES = '<Types><Override PartName="/word/document.xml" ContentType="{}"/></Types>'
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def pdf(body: bytes) -> bytes:
    return b"%PDF-1.7\n" + body + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def docx(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(WORD_MAIN))
        archive.writestr("word/document.xml", "<doc/>")
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_bomb(inflated: int) -> bytes:
    """A Word file about a thousandth of ``inflated`` in size whose document inflates to ``inflated`` bytes of
    zeros: one compressed block of 16 MB repeated, written by hand because zipfile would take seconds to pack it."""
    block = 16 * 1024 * 1024
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = packer.compress(bytes(block)) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(inflated // block):
        crc = zlib.crc32(bytes(block), crc)
    members = [
        (b"[Content_Types].xml", 0, zlib.crc32(b"<Types/>"), b"<Types/>", 8),
        (b"word/document.xml", 8, crc, chunk * (inflated // block) + b"\x03\x00", inflated),
    ]
    local, central = b"", b""
    for name, method, member_crc, data, size in members:
        fields = struct.pack("<HHHHHIII", 20, 0, method, 0, 0x21, member_crc, len(data), size)
        central += struct.pack("<IH", 0x02014B50, 20) + fields
        central += struct.pack("<HHHHHII", len(name), 0, 0, 0, 0, 0, len(local)) + name
        local += struct.pack("<I", 0x04034B50) + fields + struct.pack("<HH", len(name), 0) + name + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 2, 2, len(central), len(local), 0)
    return local + central + end


# --- The EICAR test file ------------------------------------------------------------------------------------------


def test_it_refuses_a_pdf_carrying_the_eicar_test_file() -> None:
    with pytest.raises(ValidationError, match="contains a virus"):
        check_upload(upload("report.pdf", pdf(b"1 0 obj(" + EICAR + b")endobj")))


def test_it_names_the_eicar_test_file_as_a_virus_whatever_it_is_called() -> None:
    with pytest.raises(ValidationError, match="contains a virus"):
        check_upload(upload("report.pdf", EICAR))


def test_it_finds_the_eicar_test_file_across_a_read_boundary() -> None:
    content = pdf(b"0" * (1024 * 1024 - 30) + EICAR)
    with pytest.raises(ValidationError, match="contains a virus"):
        check_upload(upload("report.pdf", content))


# --- PDFs that run code -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"1 0 obj<</OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj",
        b"1 0 obj<</OpenAction 2 0 R>>endobj 2 0 obj<</S/J#61vaScript/J#53 3 0 R>>endobj",
        b"1 0 obj<</AA<</O<</S/Launch/F(cmd.exe)>>>>>>endobj",
    ],
    ids=["javascript", "hex-escaped", "launch"],
)
def test_it_refuses_a_pdf_that_runs_code(body: bytes) -> None:
    with pytest.raises(ValidationError, match="contains JavaScript"):
        check_upload(upload("report.pdf", pdf(body)))


def test_it_refuses_javascript_hidden_in_a_compressed_object_stream() -> None:
    hidden = zlib.compress(b"2 0 obj<</S/JavaScript/JS(app.alert(1))>>endobj")
    body = b"3 0 obj<</Type/ObjStm/Filter/FlateDecode/Length %d>>stream\n%s\nendstream endobj" % (len(hidden), hidden)
    with pytest.raises(ValidationError, match="contains JavaScript"):
        check_upload(upload("report.pdf", pdf(body)))


def test_it_accepts_a_pdf_that_opens_at_a_page_without_code() -> None:
    body = b"1 0 obj<</Type/Catalog/OpenAction[3 0 R/FitH 0]/JSON(not a name)>>endobj"
    assert check_upload(upload("report.pdf", pdf(body))) == PDF


# --- Office files with macros -------------------------------------------------------------------------------------


def test_it_refuses_a_word_file_with_a_macro_project() -> None:
    content = docx({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})
    with pytest.raises(ValidationError, match="contains a macro. Save it without macros, or as a PDF"):
        check_upload(upload("plan.docx", content))


def test_it_refuses_a_macro_enabled_workbook_by_its_content_type() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml", CONTENT_TYPES.format("application/vnd.ms-excel.sheet.macroEnabled.main+xml")
        )
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(ValidationError, match="contains a macro"):
        check_upload(upload("actions.xlsx", buffer.getvalue()))


def test_it_accepts_office_files_without_macros() -> None:
    assert [check_upload(upload("plan.docx", docx({}))), check_upload(upload("a.xlsx", office("xl")))] == [DOCX, XLSX]


def test_it_refuses_an_old_style_word_file() -> None:
    with pytest.raises(ValidationError, match="must be a PDF"):
        check_upload(upload("plan.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600))


# --- Zip bombs ----------------------------------------------------------------------------------------------------


def test_it_refuses_a_word_file_that_inflates_from_1_mb_to_1_gb() -> None:
    bomb = zip_bomb(1024**3)
    assert len(bomb) < 1.1 * 1024 * 1024
    with pytest.raises(ValidationError) as refused:
        check_upload(upload("plan.docx", bomb))
    assert "larger than 100.0\xa0MB when opened" in refused.value.messages[0]


def test_it_refuses_a_file_that_inflates_too_many_times_its_size(settings) -> None:
    settings.UPLOAD_MAX_COMPRESSION_RATIO = 50
    with pytest.raises(ValidationError, match="compressed in an unusual way"):
        check_upload(upload("plan.docx", zip_bomb(32 * 1024 * 1024)))


def test_the_inflated_size_cap_is_a_setting(settings) -> None:
    settings.UPLOAD_MAX_INFLATED_BYTES = 1024
    with pytest.raises(ValidationError, match="larger than 1.0"):
        check_upload(upload("plan.docx", docx({"word/styles.xml": "<s/>" * 400})))


@pytest.mark.django_db
def test_a_page_shows_the_macro_error_on_the_field_and_saves_nothing(
    client_for: Callable[[User], Client], inspector: User, provider: Organisation
) -> None:
    response = client_for(inspector).post(
        reverse("regime:concern-new"),
        {
            "provider": provider.pk,
            "source": "coroner",
            "severity": "routine",
            "summary": "Report",
            "evidence": [upload("plan.docx", docx({"word/vbaProject.bin": b"macro"}))],
        },
    )
    assert response.status_code == 400 and "contains a macro" in response.content.decode()
    assert not Concern.objects.exists()


# --- ClamAV -------------------------------------------------------------------------------------------------------


class FakeClamd:
    """A clamd that answers one INSTREAM command per connection with ``reply``, keeping what it was sent."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.received: list[bytes] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read(self, conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            part = conn.recv(size - len(data))
            if not part:
                raise ConnectionError
            data += part
        return data

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                assert self._read(conn, 10) == b"zINSTREAM\0"
                stream = b""
                while size := struct.unpack("!L", self._read(conn, 4))[0]:
                    stream += self._read(conn, size)
                self.received.append(stream)
                conn.sendall(self.reply)

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def fake_clamd(settings) -> Iterator[Callable[[bytes], FakeClamd]]:
    servers: list[FakeClamd] = []

    def start(reply: bytes) -> FakeClamd:
        server = FakeClamd(reply)
        settings.CLAMD_HOST, settings.CLAMD_PORT, settings.CLAMD_TIMEOUT = "127.0.0.1", server.port, 5
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def test_clamd_is_sent_the_whole_file_in_chunks(fake_clamd: Callable[[bytes], FakeClamd]) -> None:
    server = fake_clamd(b"stream: OK\0")
    assert clamd_scan(iter([b"abc", b"def"])) is None
    assert server.received == [b"abcdef"]


def test_a_file_clamd_finds_something_in_is_refused(fake_clamd: Callable[[bytes], FakeClamd]) -> None:
    fake_clamd(b"stream: Win.Test.Something FOUND\0")
    with pytest.raises(ValidationError, match="contains a virus"):
        check_upload(upload("report.pdf", PDF_BYTES))


def test_a_file_clamd_passes_is_accepted(fake_clamd: Callable[[bytes], FakeClamd]) -> None:
    server = fake_clamd(b"stream: OK\0")
    assert check_upload(upload("report.pdf", PDF_BYTES)) == PDF
    assert server.received == [PDF_BYTES]


def test_an_error_from_clamd_refuses_the_file_for_now(fake_clamd: Callable[[bytes], FakeClamd]) -> None:
    fake_clamd(b"INSTREAM size limit exceeded. ERROR\0")
    with pytest.raises(ValidationError, match="could not be checked for viruses just now"):
        check_upload(upload("report.pdf", PDF_BYTES))


@pytest.mark.django_db
def test_when_clamd_cannot_be_reached_the_upload_is_refused_and_nothing_saved(
    settings, inspector: User, provider: Organisation, caplog: pytest.LogCaptureFixture
) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    settings.CLAMD_HOST, settings.CLAMD_PORT = "127.0.0.1", closed.getsockname()[1]
    closed.close()
    with pytest.raises(ValidationError, match="Try again later"):
        concern_raise(
            actor=inspector,
            organisation=sole_organisation(inspector),
            provider=provider,
            source="media",
            summary="Report",
            evidence=[upload("a.pdf", PDF_BYTES)],
        )
    assert not Concern.objects.exists() and not ConcernEvidence.objects.exists()
    assert "could not be reached" in caplog.text


def test_clamd_is_reached_over_a_unix_socket(settings, tmp_path: Path) -> None:
    path = str(tmp_path / "clamd.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen()

    def answer() -> None:
        conn, _ = server.accept()
        with conn:
            while not conn.recv(65536).endswith(struct.pack("!L", 0)):
                pass
            conn.sendall(b"stream: Eicar-Signature FOUND\0")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    settings.CLAMD_SOCKET, settings.CLAMD_TIMEOUT = path, 5
    assert clamd_scan(iter([b"x"])) == "Eicar-Signature"
    thread.join(5)
    server.close()


REAL_CLAMD = os.environ.get("CLAMD_SOCKET") or (
    "/run/clamav/clamd.ctl" if Path("/run/clamav/clamd.ctl").exists() else ""
)


@pytest.mark.skipif(not REAL_CLAMD, reason="no ClamAV daemon answers here")
def test_a_real_clamd_finds_the_eicar_test_file(settings) -> None:
    settings.CLAMD_SOCKET = REAL_CLAMD
    assert clamd_scan(iter([EICAR])) is not None


def test_a_cohort_file_carrying_the_eicar_test_file_is_refused() -> None:
    from reviews.services.cohort_import import cohort_file_check

    with pytest.raises(ValidationError, match="contains a virus"):
        cohort_file_check(upload("cohort.csv", b"reference,age_band\n" + EICAR + b",70-79\n"))
