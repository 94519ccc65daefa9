"""The advance care plan as a one-page PDF, made on the server with ReportLab.

Made for an ambulance crew or a locum at the bedside at night: the treatment limits first, in
large type, then the treatment goal, who to call, the ICD and the wishes. Always one A4 page:
when a plan says much, the content is shrunk to fit (``KeepInFrame``), never cut to a second
page that nobody turns. Always Dutch, as it lies in a Dutch patient's house.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Frame,
    KeepInFrame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import BaseDocTemplate

from careplans.acp_selectors import acp_sections, shared_with_names, treatment_limits
from careplans.models import AcpVersion, TreatmentDecision

MARGIN = 12 * mm
# After the limits, what the one at the bedside needs next: the goal, whom to call, the ICD,
# the wishes; then the conversation itself, capacity, earlier agreements, sharing.
PDF_ORDER = (3, 2, 4, 5, 0, 1, 6, 7)
DONT_COLOUR = colors.HexColor("#b02a37")


def _styles():
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("t", parent=base["Title"], fontSize=16, spaceAfter=2),
        "patient": ParagraphStyle("p", parent=base["Normal"], fontSize=10, leading=13),
        "h": ParagraphStyle("h", parent=base["Heading2"], fontSize=11, spaceBefore=6, spaceAfter=3),
        "cell": ParagraphStyle("c", parent=base["Normal"], fontSize=9, leading=11),
        "limit": ParagraphStyle("l", parent=base["Normal"], fontSize=11, leading=13),
        "small": ParagraphStyle("s", parent=base["Normal"], fontSize=7.5, leading=9),
    }


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def _limits_table(version: AcpVersion, st) -> Table:
    rows = [
        [
            _p(_("Treatment"), st["cell"]),
            _p(_("Agreement"), st["cell"]),
            _p(_("Explanation"), st["cell"]),
        ]
    ]
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    for index, limit in enumerate(treatment_limits(version), 1):
        decision = f"<b>{escape(limit.decision_label)}</b>"
        rows.append(
            [
                Paragraph(f"<b>{escape(limit.label)}</b>", st["limit"]),
                Paragraph(decision, st["limit"]),
                _p(limit.note, st["cell"]),
            ]
        )
        if limit.decision == TreatmentDecision.DONT:
            style.append(("TEXTCOLOR", (1, index), (1, index), DONT_COLOUR))
            style.append(("BACKGROUND", (1, index), (1, index), colors.HexColor("#f8d7da")))
    table = Table(rows, colWidths=[52 * mm, 40 * mm, None], repeatRows=1)
    table.setStyle(TableStyle(style))
    return table


def _sections(version: AcpVersion, st) -> list:
    flowables = []
    for title, rows in acp_sections(version, order=PDF_ORDER):
        if not rows:
            continue
        flowables.append(_p(title, st["h"]))
        table = Table(
            [[_p(label, st["cell"]), _p(value, st["cell"])] for label, value in rows],
            colWidths=[70 * mm, None],
        )
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ]
            )
        )
        flowables.append(table)
    return flowables


def acp_pdf_build(*, patient, version: AcpVersion) -> bytes:
    """One A4 page, treatment limits first. ``version`` comes with its shares prefetched."""
    with translation.override("nl"):
        st = _styles()
        born = patient.birth_date.strftime("%d-%m-%Y")
        who = " · ".join(
            p
            for p in (
                patient.formal_name,
                _("born %(date)s") % {"date": born},
                f"BSN {patient.bsn}" if patient.bsn else "",
                patient.practice.name,
            )
            if p
        )
        recorded = formats.date_format(timezone.localtime(version.created_at), "SHORT_DATE_FORMAT")
        story = [
            _p(_("Advance care plan (PZP)"), st["title"]),
            _p(who, st["patient"]),
            _p(_("Treatment limits"), st["h"]),
            _limits_table(version, st),
            Spacer(1, 2 * mm),
            *_sections(version, st),
        ]
        shared = shared_with_names(version)
        if shared:
            story += [_p(_("Shared with"), st["h"]), _p(", ".join(shared), st["cell"])]
        story += [
            Spacer(1, 3 * mm),
            _p(
                _(
                    "Version %(number)d, recorded %(date)s by %(name)s (%(organisation)s). "
                    "Printed from Regiozorg %(now)s; the newest version is in Regiozorg."
                )
                % {
                    "number": version.number,
                    "date": recorded,
                    "name": version.created_by.full_name,
                    "organisation": version.organisation.name,
                    "now": timezone.localtime().strftime("%d-%m-%Y %H:%M"),
                },
                st["small"],
            ),
        ]
        buffer = io.BytesIO()
        width, height = A4
        frame = Frame(MARGIN, MARGIN, width - 2 * MARGIN, height - 2 * MARGIN, id="page")
        document = BaseDocTemplate(
            buffer,
            pagesize=A4,
            title=str(_("Advance care plan (PZP)")),
            author=version.organisation.name,
            pageTemplates=[PageTemplate(id="one", frames=[frame])],
        )
        # Shrunk to the one frame: never a second page.
        document.build([KeepInFrame(frame._aW, frame._aH, story, mode="shrink")])
        return buffer.getvalue()
