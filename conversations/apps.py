from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Conversations")

    def ready(self):
        from accounts.signals import rights_changed, session_ended
        from conversations import realtime
        from network.signals import patient_access_changed

        # Open websockets follow the session and the rights at once (conversations.consumers).
        def _on_access_changed(sender, user_ids, **kwargs):
            for user_id in user_ids:
                realtime.access_changed(user_id)

        def _on_session_ended(sender, user_id, session_key, **kwargs):
            realtime.session_ended(user_id, session_key)

        patient_access_changed.connect(
            _on_access_changed, weak=False, dispatch_uid="conversations-access"
        )
        rights_changed.connect(_on_access_changed, weak=False, dispatch_uid="conversations-rights")
        session_ended.connect(_on_session_ended, weak=False, dispatch_uid="conversations-session")
