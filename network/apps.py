from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "network"
    verbose_name = _("Organisations and memberships")

    def ready(self):
        from network.helpdesk import ensure_helpdesk_group

        post_migrate.connect(ensure_helpdesk_group, sender=self, dispatch_uid="helpdesk_group")
