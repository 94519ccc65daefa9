"""What the helpdesk group may do with support: answer tickets, keep help articles and release
notes. Granted from here (accounts, a lower floor, does not know this app); added to the group
that ``accounts.helpdesk`` keeps, after its own post_migrate handler has run."""

from __future__ import annotations

SUPPORT_HELPDESK_PERMISSIONS: tuple[str, ...] = (
    "support.view_ticket",
    "support.change_ticket",
    "support.view_helparticle",
    "support.change_helparticle",
    "support.view_releasenote",
    "support.add_releasenote",
    "support.change_releasenote",
)


def helpdesk_support_permissions_grant(**kwargs) -> None:
    """Add SUPPORT_HELPDESK_PERMISSIONS to the helpdesk group (idempotent)."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    from accounts.helpdesk import HELPDESK_GROUP

    create_permissions(global_apps.get_app_config("support"), verbosity=0)
    codenames = [perm.split(".")[1] for perm in SUPPORT_HELPDESK_PERMISSIONS]
    wanted = Permission.objects.filter(content_type__app_label="support", codename__in=codenames)
    group, _ = Group.objects.get_or_create(name=HELPDESK_GROUP)
    group.permissions.add(*wanted)
