"""Fixtures of the network tests."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

LIST_URL = "network:extraction-list"


@pytest.fixture
def upload(secure_client, gp, django_capture_on_commit_callbacks):
    """``upload(data, name=...)``: POST the file through the page as ``gp``, import included."""
    client = secure_client(gp)

    def _upload(data: bytes, name: str = "extractie.json"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse(LIST_URL),
                {"file": SimpleUploadedFile(name, data, content_type="application/json")},
            )

    _upload.client = client
    return _upload
