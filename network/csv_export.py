"""CSV for spreadsheets, without formulas.

Excel and LibreOffice run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and
a tab or carriage return in front does not stop them), so a user who names themselves
``=HYPERLINK("https://…")`` would put a live link, or worse, in the security officer's
"Wie heeft dit dossier ingezien?" export. Such a cell gets a leading apostrophe: the
spreadsheet shows it as text, with the apostrophe hidden.
"""

from __future__ import annotations

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS):
        return "'" + text
    return text


class SafeWriter:
    """``csv.writer`` whose every cell passes ``csv_safe``."""

    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row) -> None:
        self._writer.writerow([csv_safe(cell) for cell in row])


def csv_writer(stream, **options) -> SafeWriter:
    return SafeWriter(stream, **options)
