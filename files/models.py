"""The private file every app's uploads are: checked bytes in the private storage, under a
random name. Abstract: each app keeps its own table with the foreign key that says whose it is,
and answers ``storage_directory``."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.core.files.storage import storages
from django.db import models
from django.utils.translation import gettext_lazy as _


def private_file_path(instance, filename: str) -> str:
    # Never the user's file name on disk: a random name in the instance's private directory.
    return f"{instance.storage_directory()}/{uuid.uuid4().hex}"


def private_storage():
    return storages["private"]


# The file name extensions of each type an upload may have (the first is the usual one).
FILE_EXTENSIONS = {
    "image/jpeg": ("jpg", "jpeg"),
    "image/png": ("png",),
    "image/webp": ("webp",),
    "image/heic": ("heic",),
    "application/pdf": ("pdf",),
}


def file_name_for(name: str, content_type: str) -> str:
    """``name`` with the extension of the type found in the file's bytes: a PDF uploaded as
    ``uitslag.html`` is ``uitslag.pdf``, so a saved download never opens as a web page."""
    path = PurePath(name)
    extensions = FILE_EXTENSIONS.get(content_type, ("bin",))
    if path.suffix[1:].lower() in extensions:
        return path.name
    return f"{path.stem or 'bijlage'}.{extensions[0]}"


class PrivateFile(models.Model):
    """A checked upload (see ``files.services``) in private storage; only served by a view that
    asked the access rule first (``files.downloads``)."""

    file = models.FileField(upload_to=private_file_path, storage=private_storage, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self):
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def download_name(self) -> str:
        """The name a download gets: always the extension of the stored type (also for files
        stored before names were corrected on upload)."""
        return file_name_for(self.original_name, self.content_type)

    def storage_directory(self) -> str:
        raise NotImplementedError
