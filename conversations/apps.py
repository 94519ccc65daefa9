from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Conversations")

    def ready(self):
        from conversations.realtime import access_changed
        from network.signals import patient_access_changed

        def _on_patient_access_changed(sender, user_ids, **kwargs):
            for user_id in user_ids:
                access_changed(user_id)

        patient_access_changed.connect(
            _on_patient_access_changed, weak=False, dispatch_uid="conversations-access"
        )
