"""Validators for Dutch identifiers, shared by accounts and organisations."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _


@deconstructible
class AGBCodeValidator:
    """An AGB code (Vektis) is exactly eight digits; spaces are not part of it."""

    message = _("An AGB code consists of exactly 8 digits.")
    code = "invalid_agb"

    def __call__(self, value):
        if not re.fullmatch(r"\d{8}", value or ""):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, AGBCodeValidator)


validate_agb_code = AGBCodeValidator()

# The URA number (UZI register) of a care organisation: eight digits.
validate_ura_number = RegexValidator(
    regex=r"^\d{8}$", message=_("A URA number consists of exactly 8 digits."), code="invalid_ura"
)
# A care provider's UZI number (UZI register): nine digits.
validate_uzi_number = RegexValidator(
    regex=r"^\d{9}$", message=_("A UZI number consists of exactly 9 digits."), code="invalid_uzi"
)

validate_phone = RegexValidator(
    regex=r"^\+?[0-9][0-9 \-]{8,18}[0-9]$",
    message=_("Enter a phone number of 10 digits, for example 06 12345678 or 058 - 123 45 67."),
    code="invalid_phone",
)

validate_postal_code = RegexValidator(
    regex=r"^[1-9][0-9]{3} ?[A-Za-z]{2}$",
    message=_("Enter a Dutch postal code, for example 8911 AB."),
    code="invalid_postal_code",
)


def bsn_is_valid(value: str) -> bool:
    """The eleven test (elfproef) for a BSN: nine digits, weighted sum divisible by 11.

    Weights 9..2 for the first eight digits and -1 for the last; 000000000 is not a BSN.
    """
    if not re.fullmatch(r"\d{9}", value or "") or value == "000000000":
        return False
    weights = range(9, 1, -1)
    total = sum(int(digit) * weight for digit, weight in zip(value[:8], weights, strict=True))
    return (total - int(value[8])) % 11 == 0


@deconstructible
class BSNValidator:
    message = _("This BSN is not valid: it must be 9 digits and pass the eleven test.")
    code = "invalid_bsn"

    def __call__(self, value):
        if not bsn_is_valid(value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, BSNValidator)


validate_bsn = BSNValidator()
