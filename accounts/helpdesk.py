"""The helpdesk group: exactly the model permissions the care group's helpdesk needs.

Helpdesk staff are ``is_staff`` users in this group, never superusers. They maintain
organisations, teams, users and memberships, reset a lost second factor and send password-reset
links (actions on users, ``accounts.change_user``). They cannot delete users (history stays
attributed; accounts are deactivated), change groups or permissions, make anyone staff or
superuser, see or set passwords and authenticators (no ``mfa`` permissions: allauth's
authenticator admin is not even registered), or grant patient-data access (see
``accounts.admin``).
"""

from __future__ import annotations

HELPDESK_GROUP = "helpdesk"

HELPDESK_PERMISSIONS: tuple[str, ...] = (
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
    "accounts.view_absence",
    "accounts.view_organisation",
    "accounts.add_organisation",
    "accounts.change_organisation",
    "accounts.view_team",
    "accounts.add_team",
    "accounts.change_team",
    "accounts.view_membership",
    "accounts.add_membership",
    "accounts.change_membership",
    "accounts.view_accountrequest",
    "accounts.change_accountrequest",
    "accounts.view_invitation",
    "accounts.change_invitation",
    "accounts.view_staffchange",
    "accounts.view_partnerimport",
    "accounts.add_partnerimport",
    "accounts.change_partnerimport",
    # The authorisation matrix (partner kind × data category) and its history.
    "network.view_authorisationrule",
    "network.change_authorisationrule",
    "network.view_authorisationrulechange",
    # Import status only (the admin shows no patient data): to help a practice whose upload failed.
    "network.view_extraction",
    # Conversations: shared inboxes of organisations.
    "conversations.view_sharedinbox",
    "conversations.add_sharedinbox",
    "conversations.change_sharedinbox",
    "conversations.view_sharedinboxmember",
    "conversations.add_sharedinboxmember",
    "conversations.change_sharedinboxmember",
    "conversations.delete_sharedinboxmember",
    # Each practice's HIS connection.
    "his.view_hisendpoint",
    "his.add_hisendpoint",
    "his.change_hisendpoint",
    # Referrals: the list of care pathways and the data each one asks for (no referrals).
    "referrals.view_carepathway",
    "referrals.add_carepathway",
    "referrals.change_carepathway",
    # ... and where an organisation's own system takes referrals.
    "referrals.view_referralendpoint",
    "referrals.add_referralendpoint",
    "referrals.change_referralendpoint",
    # The questionnaire library: questionnaires, their questions, answer options, conditions,
    # scoring rules and cut-offs (no responses). An answered questionnaire is retired, not
    # deleted (the admin refuses it).
    "questionnaires.view_questionnaire",
    "questionnaires.add_questionnaire",
    "questionnaires.change_questionnaire",
    "questionnaires.view_item",
    "questionnaires.add_item",
    "questionnaires.change_item",
    "questionnaires.delete_item",
    "questionnaires.view_answeroption",
    "questionnaires.add_answeroption",
    "questionnaires.change_answeroption",
    "questionnaires.delete_answeroption",
    "questionnaires.view_condition",
    "questionnaires.add_condition",
    "questionnaires.change_condition",
    "questionnaires.delete_condition",
    "questionnaires.view_scoringrule",
    "questionnaires.add_scoringrule",
    "questionnaires.change_scoringrule",
    "questionnaires.delete_scoringrule",
    "questionnaires.view_cutoff",
    "questionnaires.add_cutoff",
    "questionnaires.change_cutoff",
    "questionnaires.delete_cutoff",
)


def ensure_helpdesk_group(**kwargs) -> None:
    """Create or update the group so it holds exactly HELPDESK_PERMISSIONS (idempotent)."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    for label in {perm.split(".")[0] for perm in HELPDESK_PERMISSIONS}:
        create_permissions(global_apps.get_app_config(label), verbosity=0)

    wanted = []
    for perm in HELPDESK_PERMISSIONS:
        app_label, codename = perm.split(".")
        wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    group, _ = Group.objects.get_or_create(name=HELPDESK_GROUP)
    group.permissions.set(wanted)
