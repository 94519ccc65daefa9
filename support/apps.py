from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Support")

    def ready(self):
        from support.helpdesk import helpdesk_support_permissions_grant

        # After accounts' own handler (INSTALLED_APPS order), which sets the group's base rights.
        post_migrate.connect(
            helpdesk_support_permissions_grant, sender=self, dispatch_uid="helpdesk_support"
        )
