from django.urls import path

from meetings import views

app_name = "meetings"

MDO = "mdo/<int:pk>/"
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
]
