"""Writes for accounts, split by topic; import the functions from here."""

from accounts.services.credentials import (
    account_create,
    password_reset_link_send,
    second_factor_reset,
)
from accounts.services.invitations import (
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_resend,
    invitation_revoke,
    organisation_confirm,
)
from accounts.services.organisations import active_organisation_switch
from accounts.services.partner_import import (
    partner_import_apply,
    partner_import_check_file,
    partner_import_preview,
)
from accounts.services.profile import (
    absence_add,
    absence_remove,
    language_set,
    profile_update,
)
from accounts.services.push import (
    push_deliver,
    push_send,
    push_subscription_remove,
    push_subscription_save,
)
from accounts.services.staff import (
    account_request_approve,
    account_request_create,
    account_request_reject,
    level_change_request_create,
    membership_add,
    membership_create,
    membership_update,
    patient_data_access_set,
    staff_change_record,
    user_deactivate,
    user_reactivate,
)

__all__ = [
    "absence_add",
    "absence_remove",
    "account_create",
    "account_request_approve",
    "account_request_create",
    "account_request_reject",
    "active_organisation_switch",
    "invitation_accept",
    "invitation_create",
    "invitation_for_token",
    "invitation_resend",
    "invitation_revoke",
    "language_set",
    "level_change_request_create",
    "membership_add",
    "membership_create",
    "membership_update",
    "organisation_confirm",
    "partner_import_apply",
    "partner_import_check_file",
    "partner_import_preview",
    "password_reset_link_send",
    "patient_data_access_set",
    "profile_update",
    "push_deliver",
    "push_send",
    "push_subscription_remove",
    "push_subscription_save",
    "second_factor_reset",
    "staff_change_record",
    "user_deactivate",
    "user_reactivate",
]
