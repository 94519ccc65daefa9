from django.urls import path

from conversations import his_views, inbox_views, views

app_name = "conversations"

urlpatterns = [
    path("gesprekken/", views.inbox, name="inbox"),
    path("consultaties/", views.consultations, name="consultations"),
    path("gesprekken/teller/", views.unread_badge, name="unread-badge"),
    path("gesprekken/nieuw/", views.conversation_create, name="create"),
    path("gesprekken/ontvangers/", views.recipient_search, name="recipient-search"),
    path("gesprekken/<int:pk>/", views.detail, name="detail"),
    path("gesprekken/<int:pk>/berichten/", views.message_create, name="message-create"),
    path("gesprekken/<int:pk>/markeren/", views.flag, name="flag"),
    path("gesprekken/<int:pk>/sluiten/", views.close, name="close"),
    path("gesprekken/<int:pk>/oppakken/", views.pick_up, name="pick-up"),
    path("gesprekken/<int:pk>/toegang/", views.access_grant, name="access-grant"),
    path("gesprekken/<int:pk>/his/", his_views.his_export, name="his-export"),
    path(
        "gesprekken/<int:pk>/his/<int:export_pk>/",
        his_views.his_export_download,
        name="his-export-download",
    ),
    path(
        "gesprekken/<int:pk>/bijlagen/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment",
    ),
    path("gezamenlijke-inboxen/", inbox_views.inbox_list, name="inbox-list"),
    path("gezamenlijke-inboxen/<int:pk>/", inbox_views.inbox_members, name="inbox-members"),
    path(
        "gezamenlijke-inboxen/<int:pk>/leden/",
        inbox_views.inbox_member_change,
        name="inbox-member-change",
    ),
]
