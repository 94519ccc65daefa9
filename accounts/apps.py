from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from accounts import signals  # noqa: F401
        from accounts.helpdesk import ensure_helpdesk_group

        post_migrate.connect(ensure_helpdesk_group, sender=self, dispatch_uid="helpdesk_group")
