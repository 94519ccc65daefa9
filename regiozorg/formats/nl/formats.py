"""How Dutch readers see dates and numbers: the one place every page, export and e-mail takes
them from (settings.FORMAT_MODULE_PATH; templates say ``|date:"SHORT_DATE_FORMAT"``, Python says
``django.utils.formats.date_format`` / ``number_format``).

Django's own ``nl`` formats, except that a short date has two-digit days and months
(06-12-2026, the way a HIS and a patient's letters write it; Django's is 6-12-2026) and a long
one is ``6 december 2026``. Numbers: decimal comma (7,5 mmol/l), no thousands separator in
values (USE_THOUSAND_SEPARATOR stays off: 1250 ml, not 1.250 ml, which reads as 1,25).
"""

from django.conf.locale.nl.formats import *  # noqa: F403

DATE_FORMAT = "j F Y"  # 6 december 2026
DATETIME_FORMAT = "j F Y H:i"  # 6 december 2026 14:05
SHORT_DATE_FORMAT = "d-m-Y"  # 06-12-2026
SHORT_DATETIME_FORMAT = "d-m-Y H:i"  # 06-12-2026 14:05
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
