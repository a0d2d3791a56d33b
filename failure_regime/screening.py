"""Screening of uploaded files for harmful content, always on: the EICAR anti-virus test file, PDFs that run
JavaScript or launch programs, Office files with macros, and zip-based files that inflate far beyond their size
(zip bombs). When a ClamAV daemon is configured (``CLAMD_SOCKET``, or ``CLAMD_HOST`` and ``CLAMD_PORT``) every
file is also streamed to it; if it cannot be reached the upload is refused, never let through unscanned.

The PDF check is a heuristic: it looks for the name tokens ``/JS``, ``/JavaScript`` and ``/Launch`` (also when
hex-escaped, such as ``/J#61vaScript``) in the raw bytes and in every Flate-compressed stream, which is where
object streams keep their objects. It refuses some harmless files rather than let a harmful one through."""

from __future__ import annotations

import base64
import logging
import re
import socket
import struct
import zipfile
import zlib
from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

logger = logging.getLogger(__name__)

# Kept encoded so that this source file is not itself reported by virus scanners.
EICAR = base64.b64decode("WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSLVNUQU5EQVJELUFOVElWSVJVUy1URVNULUZJTEUhJEgrSCo=")

_CHUNK = 1024 * 1024
_PDF_ACTIONS = {b"JS", b"JavaScript", b"Launch"}
_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_PDF_STREAM = re.compile(rb"stream\r?\n")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_MACRO_CONTENT_TYPES = (b"macroenabled", b"vnd.ms-office.vbaproject")
# A small file may compress very well without being a threat; only large inflations are judged by their ratio.
_RATIO_FLOOR_BYTES = 1024 * 1024


def _refuse(message: str, code: str) -> ValidationError:
    logger.info("Upload refused by screening: %s", code)  # the name may be personal, so only the reason
    return ValidationError(message, code=code)


def _chunks(upload: UploadedFile) -> Iterator[bytes]:
    upload.seek(0)
    while chunk := upload.read(_CHUNK):
        yield chunk
    upload.seek(0)


def _contains_eicar(upload: UploadedFile) -> bool:
    tail = b""
    for chunk in _chunks(upload):
        if EICAR in tail + chunk:
            return True
        tail = chunk[-len(EICAR) :]
    return False


# --- PDF ----------------------------------------------------------------------------------------------------------


def _names_run_code(data: bytes) -> bool:
    for match in _PDF_NAME.finditer(data):
        name = _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        if name in _PDF_ACTIONS:
            return True
    return False


def _inflated_streams(data: bytes, budget: int) -> Iterator[bytes]:
    """The content of each stream that inflates with zlib (FlateDecode), at most ``budget`` bytes in all."""
    view = memoryview(data)
    for match in _PDF_STREAM.finditer(data):
        if budget <= 0:
            return
        inflater = zlib.decompressobj()
        try:
            content = inflater.decompress(view[match.end() :], budget)
        except zlib.error:
            continue  # not Flate, or not compressed at all: the raw scan has seen it
        budget -= len(content)
        yield content


def pdf_runs_code(data: bytes) -> bool:
    """Whether a PDF holds JavaScript or a launch action, in its raw bytes or in a compressed stream."""
    if _names_run_code(data):
        return True
    return any(_names_run_code(content) for content in _inflated_streams(data, settings.UPLOAD_MAX_INFLATED_BYTES))


# --- Zip-based files (Word, Excel) --------------------------------------------------------------------------------


def _check_archive(upload: UploadedFile, name: str) -> None:
    """Judges a zip-based file from its central directory, never extracting more than its small content-type list."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
            inflated = sum(member.file_size for member in members)
            compressed = sum(member.compress_size for member in members)
            cap = settings.UPLOAD_MAX_INFLATED_BYTES
            if inflated > cap:
                raise _refuse(
                    f"The file {name} becomes larger than {filesizeformat(cap)} when opened. "
                    "Split it into smaller files, or save it as a PDF, and try again.",
                    "inflates_too_far",
                )
            if inflated > _RATIO_FLOOR_BYTES and inflated > compressed * settings.UPLOAD_MAX_COMPRESSION_RATIO:
                raise _refuse(
                    f"The file {name} is compressed in an unusual way and cannot be accepted. "
                    "Save it again, or as a PDF, and try again.",
                    "compression_ratio",
                )
            macro = any(m.filename.lower().rsplit("/", 1)[-1] == "vbaproject.bin" for m in members)
            types = next((m for m in members if m.filename == "[Content_Types].xml"), None)
            if not macro and types is not None and types.file_size <= _CHUNK:
                with archive.open(types) as part:
                    listed = part.read(_CHUNK).lower()
                macro = any(word in listed for word in _MACRO_CONTENT_TYPES)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, zlib.error) as error:
        raise _refuse(f"The file {name} is damaged and cannot be opened.", "damaged") from error
    finally:
        upload.seek(0)
    if macro:
        raise _refuse(f"The file {name} contains a macro. Save it without macros, or as a PDF, and try again.", "macro")


# --- ClamAV -------------------------------------------------------------------------------------------------------


class ScannerUnavailable(Exception):
    """The virus scanner is configured but did not give an answer."""


def clamd_configured() -> bool:
    return bool(settings.CLAMD_SOCKET or settings.CLAMD_HOST)


def _clamd_connect() -> socket.socket:
    timeout = settings.CLAMD_TIMEOUT
    if settings.CLAMD_SOCKET:
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.settimeout(timeout)
        unix.connect(settings.CLAMD_SOCKET)
        return unix
    return socket.create_connection((settings.CLAMD_HOST, settings.CLAMD_PORT), timeout=timeout)


def clamd_scan(chunks: Iterator[bytes]) -> str | None:
    """Streams the file to clamd with the INSTREAM command. Returns the name of what it found, or None when the
    file is clean; raises ScannerUnavailable when clamd cannot be reached or answers with an error."""
    try:
        with _clamd_connect() as conn:
            conn.sendall(b"zINSTREAM\0")
            for chunk in chunks:
                conn.sendall(struct.pack("!L", len(chunk)) + chunk)
            conn.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0") and (part := conn.recv(4096)):
                reply += part
    except OSError as error:
        raise ScannerUnavailable(str(error)) from error
    answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if answer.endswith(" FOUND"):
        return answer.removeprefix("stream:").removesuffix(" FOUND").strip()
    if answer.endswith(" OK"):
        return None
    raise ScannerUnavailable(answer or "no answer")


# --- The screen ---------------------------------------------------------------------------------------------------


def _harmful(name: str) -> ValidationError:
    return _refuse(f"The file {name} contains a virus or other harmful content, so it has not been saved.", "virus")


def screen_test_virus(upload: UploadedFile, *, name: str) -> None:
    """Refuses the EICAR anti-virus test file, or any file that carries it: a cheap check that always runs."""
    if _contains_eicar(upload):
        raise _harmful(name)


def screen_content(upload: UploadedFile, *, name: str) -> None:
    """The checks any file gets whatever its type: the EICAR test file, and ClamAV when it is configured."""
    screen_test_virus(upload, name=name)
    if not clamd_configured():
        return
    try:
        found = clamd_scan(_chunks(upload))
    except ScannerUnavailable:
        logger.exception("The virus scanner could not be reached; the upload was refused")
        raise ValidationError(
            f"The file {name} could not be checked for viruses just now, so it has not been saved. Try again later.",
            code="scanner_unavailable",
        ) from None
    if found:
        logger.warning("The virus scanner reported %s in an upload", found)
        raise _harmful(name)


def screen_structure(upload: UploadedFile, *, name: str, kind: str) -> None:
    """The checks that depend on the file's type: ``kind`` is its extension as ``detect_type`` read it."""
    if kind == "pdf":
        upload.seek(0)
        data = upload.read()
        upload.seek(0)
        if pdf_runs_code(data):
            raise _refuse(
                f"The file {name} contains JavaScript or an action that starts a program. "
                "Print it to a new PDF, or save it without these, and try again.",
                "pdf_active_content",
            )
    elif kind in {"docx", "xlsx"}:
        _check_archive(upload, name)
