"""Serving a checked private file (``files.models.PrivateFile``) to someone the access rule
already let through: never sniffed, never cached, photos inline unless asked otherwise,
and named with the extension of the type found in the file's bytes."""

from __future__ import annotations

from django.http import FileResponse


def private_file_response(request, stored) -> FileResponse:
    response = FileResponse(
        stored.file.open("rb"),
        as_attachment=not stored.is_image or request.GET.get("download") == "1",
        filename=stored.download_name,  # the extension of the type found in its bytes
        content_type=stored.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
