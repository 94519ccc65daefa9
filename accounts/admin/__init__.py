"""The helpdesk's admin for people and their memberships.

The helpdesk never reaches patient data, directly or by becoming someone: no page shows or sets
a password, a TOTP secret or recovery codes (it resets a second factor and sends a reset link to
the person's own address), e-mail addresses are read-only, it gives no membership to itself or
another helpdesk account, and patient-data access is read-only here for everyone.
"""

from accounts.admin import organisations, partner_import, staff, users

__all__ = ["organisations", "partner_import", "staff", "users"]
