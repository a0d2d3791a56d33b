"""Checks on uploaded files: the type is read from the content, never trusted from the name, and the
size is capped. Files are stored under generated names and always downloaded as attachments."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.models import User
from failure_regime.models.cases import StoredFile
from failure_regime.screening import screen_content, screen_structure, screen_test_virus


@dataclass(frozen=True)
class FileType:
    label: str
    extension: str
    content_type: str


PDF = FileType("PDF", "pdf", "application/pdf")
DOCX = FileType("Word document", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = FileType("Excel spreadsheet", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
CSV = FileType("CSV", "csv", "text/csv")
PNG = FileType("PNG image", "png", "image/png")
JPEG = FileType("JPEG image", "jpg", "image/jpeg")
EVIDENCE_TYPES = (PDF, DOCX, XLSX, CSV, PNG, JPEG)

_SNIFF_BYTES = 64 * 1024


def _zip_member_prefix(data: UploadedFile) -> str | None:
    try:
        data.seek(0)
        with zipfile.ZipFile(data) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(name.startswith("word/") for name in names):
        return "word"
    if any(name.startswith("xl/") for name in names):
        return "xl"
    return None


def _looks_like_csv(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        # A cut in the middle of a multi-byte character at the sniff boundary is not an error.
        try:
            text = head[:-3].decode("utf-8-sig")
        except UnicodeDecodeError:
            return False
    lines = [line for line in text.splitlines() if line.strip()]
    if len(head) >= _SNIFF_BYTES:
        lines = lines[:-1]  # the last line may be cut short by the sniff
    lines = lines[:20]
    if not lines or not all(ch.isprintable() or ch == "\t" for ch in "".join(lines)):
        return False
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|")
    except csv.Error:
        return False
    rows = list(csv.reader(io.StringIO("\n".join(lines)), dialect))
    # A table: at least two columns, and the same number on every row.
    return len(rows[0]) >= 2 and all(len(row) == len(rows[0]) for row in rows)


def detect_type(upload: UploadedFile) -> FileType | None:
    """The type of the file judged from its first bytes (and, for Office files, its parts)."""
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return {"word": DOCX, "xl": XLSX}.get(_zip_member_prefix(upload) or "")
    # Plain text has no signature, so only a file named .csv is read as CSV, and never a script or markup.
    is_csv_name = (upload.name or "").lower().endswith(".csv")
    if is_csv_name and not head.lstrip().startswith((b"#!", b"<")) and _looks_like_csv(head):
        return CSV
    return None


def check_upload(upload: UploadedFile, *, allowed: tuple[FileType, ...] = EVIDENCE_TYPES) -> FileType:
    """Returns the file's type, or raises a ValidationError saying plainly what is wrong with it: its size, its type
    read from the content, or harmful content found by the screening (see ``failure_regime.screening``)."""
    limit = settings.UPLOAD_MAX_BYTES
    if not upload.size:
        raise ValidationError(f"The file {upload.name} is empty.", code="empty")
    if upload.size > limit:
        raise ValidationError(f"The file {upload.name} is larger than {filesizeformat(limit)}.", code="too_large")
    name = display_name(upload.name or "")
    file_type = detect_type(upload)
    if file_type not in allowed:
        screen_test_virus(upload, name=name)  # a virus is named as such, whatever it is dressed as
        names = ", ".join(t.label for t in allowed)
        raise ValidationError(f"The file {upload.name} must be a {names}.", code="wrong_type")
    screen_structure(upload, name=name, kind=file_type.extension)
    screen_content(upload, name=name)
    return file_type


def storage_name(file_type: FileType) -> str:
    """A generated name: nothing a user typed ends up in a path on disk."""
    return f"{uuid.uuid4().hex}.{file_type.extension}"


def display_name(original_name: str) -> str:
    """The name shown and offered on download: the base name only, shortened."""
    return PurePath(original_name.replace("\\", "/")).name[:200] or "file"


def download_name(item: StoredFile) -> str:
    """The name a stored file is offered under: the uploader's name, with the extension of the type read from its
    content, so that a PDF called ``poly.html`` downloads as ``poly.pdf`` and never opens as a web page."""
    extensions = {t.content_type: t.extension for t in EVIDENCE_TYPES}
    extension = extensions.get(item.content_type, "bin")
    name = PurePath(item.original_name or "file")
    if name.suffix.lower().lstrip(".") in ({extension, "jpeg"} if extension == "jpg" else {extension}):
        return name.name
    return f"{name.stem or 'file'}.{extension}"


def download_response(item: StoredFile, file: File) -> FileResponse:
    """A stored file as a private attachment, named and typed from its detected type, that browsers may neither
    sniff into another type nor keep."""
    response = FileResponse(
        file.open("rb"), as_attachment=True, filename=download_name(item), content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def store(item: StoredFile, *, upload: UploadedFile, file_type: FileType, actor: User) -> StoredFile:
    """Saves a checked upload onto ``item`` (a ``StoredFile`` with its owner set) under a generated name."""
    item.original_name = display_name(upload.name or "")
    item.content_type = file_type.content_type
    item.size = upload.size or 0
    item.uploaded_by = actor
    item.uploaded_at = timezone.now()
    item.file.save(storage_name(file_type), upload, save=False)  # type: ignore[attr-defined]
    item.save()
    return item
