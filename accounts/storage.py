"""Write-once file storage, for the audit chain's anchor files (the ``audit_anchors`` storage alias).

An anchor file vouches for the audit trail as it stood when it was signed; a file that could be replaced later would
vouch for nothing. So this storage never replaces a file, nor picks another name for it: saving under a name that
exists fails with ``FileExistsError``, and deleting fails with ``PermissionError``. Two saves of one name at once
are settled by the file system (the file is created with ``O_EXCL``), so exactly one of them succeeds.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible(path="accounts.storage.WriteOnceFileSystemStorage")
class WriteOnceFileSystemStorage(FileSystemStorage):
    """A file system storage whose files, once written, are never overwritten, renamed around or deleted."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["allow_overwrite"] = False
        super().__init__(**kwargs)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        # Storage.save asks this first, and FileSystemStorage._save asks again when the exclusive create finds the
        # file already there (another save got in first): either way, the name is taken and the save fails. Another
        # name is never chosen, so the name is returned as it is.
        if self.exists(name):
            raise FileExistsError(f"{name} already exists, and files here are never replaced.")
        if max_length is not None and len(name) > max_length:
            raise ValueError(f"{name} is longer than {max_length} characters.")
        return name

    def delete(self, name: str) -> None:
        raise PermissionError(f"{name} cannot be deleted: files here are kept for good.")
