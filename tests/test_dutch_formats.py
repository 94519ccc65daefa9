"""Numbers and dates the Dutch way on the pages where testers found them otherwise: a decimal
comma (7,5 mmol/l), dates as 06-12-2026 or "6 december 2026", never an English month.

The month checks read the whole page; the decimal check reads only the cells that hold a
measured value, since IP addresses, ICPC codes (T90.02) and versions rightly have dots.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from tests.factories import EpisodeFactory, MeasurementFactory

pytestmark = pytest.mark.django_db

ENGLISH_MONTH = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\b"
    # Abbreviations only where they are a date's month (a name like "Jan" is not).
    r"|\b\d{1,2}\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b"
    r"|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?\s+\d{1,2}\b"
)
DECIMAL_POINT = re.compile(r"\d\.\d")
SHORT_DATE = re.compile(r"\b\d{2}-\d{2}-\d{4}\b")


def _moment(month: int, day: int = 14) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2026, month, day, 10, 30))


def _cells(html: str, css_class: str) -> list[str]:
    return re.findall(rf'<td class="{css_class}">(.*?)</td>', html, flags=re.S)


def test_english_month_pattern_catches_what_it_should():
    assert ENGLISH_MONTH.search("14 May 2026")
    assert ENGLISH_MONTH.search("Oct. 3, 2026")
    assert ENGLISH_MONTH.search("3 March 2026")
    assert not ENGLISH_MONTH.search("14 mei 2026, 3 oktober 2026, 6 december 2026, 14-05-2026")
    assert not ENGLISH_MONTH.search("Jan de Vries · Dec-nummer")


def test_medical_tab_shows_measurements_with_a_decimal_comma_and_dutch_dates(
    secure_client, gp, patient
):
    EpisodeFactory(patient=patient, icpc_code="T90.02", start_date=datetime.date(2015, 5, 1))
    MeasurementFactory(
        patient=patient,
        name="Glucose",
        value=Decimal("7.500"),
        unit="mmol/l",
        measured_at=_moment(5),
    )
    MeasurementFactory(
        patient=patient,
        name="Kreatinine",
        value=Decimal("0.050"),
        unit="mmol/l",
        measured_at=_moment(10, 3),
    )
    MeasurementFactory(
        patient=patient,
        name="Bloeddruk",
        value=Decimal("140.000"),
        value2=Decimal("90.000"),
        unit="mmHg",
        measured_at=_moment(3, 2),
    )

    html = (
        secure_client(gp)
        .get(reverse("network:patient-medical", args=[patient.pk]))
        .content.decode()
    )

    values = _cells(html, "measurement-value")
    assert sorted(values) == ["0,05 mmol/l", "140/90 mmHg", "7,5 mmol/l"]
    assert not [v for v in values if DECIMAL_POINT.search(v)]
    assert "14-05-2026" in html and "03-10-2026" in html and "01-05-2015" in html
    assert "T90.02" in html  # a code keeps its dot
    assert not ENGLISH_MONTH.search(html), ENGLISH_MONTH.search(html)


def test_staff_page_shows_last_login_with_a_dutch_month(client, gp, assistant):
    assistant.last_login = _moment(5, 6)
    assistant.save(update_fields=["last_login"])
    gp.last_login = _moment(10, 3)
    gp.save(update_fields=["last_login"])
    client.force_login(gp)  # stamps gp's last login anew; the assistant's stays in May

    html = client.get(reverse("accounts:staff-list")).content.decode()

    assert "6 mei 2026 10:30" in html
    assert not ENGLISH_MONTH.search(html), ENGLISH_MONTH.search(html)


def test_invitation_list_shows_the_expiry_with_a_dutch_month(
    client, gp, physio_practice, django_capture_on_commit_callbacks
):
    client.force_login(gp)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:invitation-create"),
            {
                "first_name": "Fenna",
                "last_name": "Meer",
                "email": "fenna@fysiocentrum.nl",
                "organisation": physio_practice.pk,
            },
        )
    Invitation.objects.update(expires_at=_moment(3, 30))

    html = client.get(reverse("accounts:invitation-list")).content.decode()

    assert "30 maart 2026" in html
    assert not ENGLISH_MONTH.search(html), ENGLISH_MONTH.search(html)


def test_access_overview_and_its_csv_write_dates_as_dd_mm_yyyy(secure_client, gp, patient):
    client = secure_client(gp)
    client.get(reverse("network:patient-detail", args=[patient.pk]))

    html = client.get(reverse("network:patient-access-log", args=[patient.pk])).content.decode()
    assert re.search(r"<t[dh][^>]*>\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}</t[dh]>", html)
    assert not ENGLISH_MONTH.search(html), ENGLISH_MONTH.search(html)

    response = client.get(reverse("network:patient-access-log-export", args=[patient.pk]))
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
    assert rows
    assert all(re.fullmatch(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}", row[0]) for row in rows)
    assert not ENGLISH_MONTH.search(text)


def test_one_formatting_path_for_dutch_dates_and_numbers():
    from django.utils import formats, translation

    assert settings.FORMAT_MODULE_PATH == ["regiozorg.formats"]
    with translation.override("nl"):
        assert formats.date_format(datetime.date(2026, 12, 6), "SHORT_DATE_FORMAT") == "06-12-2026"
        assert formats.date_format(datetime.date(2026, 5, 6)) == "6 mei 2026"
        assert formats.number_format(Decimal("7.5")) == "7,5"


TEMPLATES = Path(settings.BASE_DIR) / "templates"
ENGLISH_DATE_FORMATS = re.compile(r"""\|date:["'][^"']*\b[MbDlNF]\b[^"']*["']""")


def test_templates_spell_no_month_or_day_names_in_a_format_of_their_own():
    """'j M Y' gives "6 Dec 2026" even in Dutch; named formats (DATE_FORMAT) come from
    regiozorg/formats. (conversations/ and home.html are checked once their owners move.)"""
    own = [
        p
        for p in TEMPLATES.rglob("*.html")
        if "conversations" not in p.parts and p.name not in {"home.html", "base.html"}
    ]
    found = [
        f"{p.relative_to(TEMPLATES)}: {m[0]}"
        for p in own
        for m in ENGLISH_DATE_FORMATS.finditer(p.read_text())
    ]
    assert found == []


def test_no_word_is_broken_mid_way_by_our_css():
    """``overflow-wrap: anywhere`` and ``word-break: break-all`` break ordinary Dutch words
    letter by letter in narrow cells; wrap at syllables (hyphens) and only break what cannot
    fit (``overflow-wrap: break-word``)."""
    css = (Path(settings.BASE_DIR) / "static/css/regiozorg.css").read_text()
    assert "overflow-wrap: anywhere" not in css
    assert "break-all" not in css
