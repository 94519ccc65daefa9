from django.urls import path

from conversations import his_views
from conversations.views import conversations, inboxes

app_name = "conversations"

urlpatterns = [
    path("gesprekken/", conversations.inbox, name="inbox"),
    path("consultaties/", conversations.consultations, name="consultations"),
    path("gesprekken/teller/", conversations.unread_badge, name="unread-badge"),
    path("gesprekken/nieuw/", conversations.conversation_create, name="create"),
    path("gesprekken/ontvangers/", conversations.recipient_search, name="recipient-search"),
    path("gesprekken/<int:pk>/", conversations.detail, name="detail"),
    path("gesprekken/<int:pk>/berichten/", conversations.message_create, name="message-create"),
    path("gesprekken/<int:pk>/markeren/", conversations.flag, name="flag"),
    path("gesprekken/<int:pk>/sluiten/", conversations.close, name="close"),
    path("gesprekken/<int:pk>/oppakken/", conversations.pick_up, name="pick-up"),
    path("gesprekken/<int:pk>/toegang/", conversations.access_grant, name="access-grant"),
    path("gesprekken/<int:pk>/his/", his_views.his_export, name="his-export"),
    path(
        "gesprekken/<int:pk>/his/<int:export_pk>/",
        his_views.his_export_download,
        name="his-export-download",
    ),
    path(
        "gesprekken/<int:pk>/bijlagen/<int:attachment_pk>/",
        conversations.attachment_download,
        name="attachment",
    ),
    path("gezamenlijke-inboxen/", inboxes.inbox_list, name="inbox-list"),
    path("gezamenlijke-inboxen/<int:pk>/", inboxes.inbox_members, name="inbox-members"),
    path(
        "gezamenlijke-inboxen/<int:pk>/leden/",
        inboxes.inbox_member_change,
        name="inbox-member-change",
    ),
]
