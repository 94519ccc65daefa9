from django.urls import path

from meetings import call_views, views

app_name = "meetings"

MDO = "mdo/<int:pk>/"
CALL = "gesprek/<uuid:room>/"
GUEST = "gesprek/<str:token>/"
ITEM = f"{MDO}agenda/<int:item_pk>/"

urlpatterns = [
    path("mdo/", views.meeting_list, name="list"),
    path("mdo/nieuw/", views.meeting_create, name="create"),
    path(MDO, views.meeting_detail, name="detail"),
    path(f"{MDO}verslag/", views.meeting_report, name="report"),
    path(f"{MDO}status/", views.meeting_status, name="status"),
    path(f"{MDO}deelnemers/", views.participant_add, name="participant-add"),
    path(f"{MDO}agenda/", views.item_add, name="item-add"),
    path(f"{ITEM}voorbereiding/", views.note_save, name="note-save"),
    path(f"{ITEM}verslag/", views.minutes_save, name="minutes-save"),
    path(f"{ITEM}afspraken/", views.agreement_add, name="agreement-add"),
    path(f"{ITEM}his/", views.item_his_export, name="item-his-export"),
    path(
        f"{ITEM}his/<int:export_pk>/",
        views.item_his_export_download,
        name="item-his-export-download",
    ),
    path(
        f"{MDO}afspraken/<int:agreement_pk>/actie/", views.agreement_action, name="agreement-action"
    ),
    path(f"{MDO}gesprek/", call_views.call_meeting_start, name="call-meeting-start"),
    path(
        "patienten/<int:patient_pk>/gesprek/",
        call_views.call_patient_start,
        name="call-patient-start",
    ),
    path(
        "gesprekken/<int:conversation_pk>/videogesprek/",
        call_views.call_conversation_start,
        name="call-conversation-start",
    ),
    path(f"mdo/{CALL}", call_views.call_room, name="call"),
    path(f"mdo/{CALL}einde/", call_views.call_end, name="call-end"),
    path(f"mdo/{CALL}gasten/", call_views.guest_invite, name="call-guest-invite"),
    path(
        f"mdo/{CALL}gasten/<int:guest_pk>/intrekken/",
        call_views.guest_revoke,
        name="call-guest-revoke",
    ),
    path(f"mdo/{CALL}bestanden/", call_views.call_file_upload, name="call-file-upload"),
    path(f"mdo/{CALL}bestanden/<int:file_pk>/", call_views.call_file, name="call-file"),
    path(GUEST, call_views.guest, name="guest"),
    path(f"{GUEST}bestanden/", call_views.guest_file_upload, name="guest-file-upload"),
    path(f"{GUEST}bestanden/<int:file_pk>/", call_views.guest_file, name="guest-file"),
]
