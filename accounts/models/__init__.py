"""The accounts app's models, split by topic; import them from here."""

from accounts.levels import OrganisationKind
from accounts.models.organisations import (
    Membership,
    MembershipQuerySet,
    Organisation,
    PartnerImport,
    Team,
)
from accounts.models.push import PushDelivery, PushSubscription
from accounts.models.staff import (
    AccountRequest,
    AccountRequestQuerySet,
    Invitation,
    InvitationQuerySet,
    StaffChange,
)
from accounts.models.users import (
    MAX_FUNCTIONS,
    PROFILE_FIELDS,
    Absence,
    Function,
    User,
    UserManager,
    Weekday,
    default_working_days,
)

__all__ = [
    "MAX_FUNCTIONS",
    "PROFILE_FIELDS",
    "Absence",
    "AccountRequest",
    "AccountRequestQuerySet",
    "Function",
    "Invitation",
    "InvitationQuerySet",
    "Membership",
    "MembershipQuerySet",
    "Organisation",
    "OrganisationKind",
    "PartnerImport",
    "PushDelivery",
    "PushSubscription",
    "StaffChange",
    "Team",
    "User",
    "UserManager",
    "Weekday",
    "default_working_days",
]
