from django.urls import path

from support import views

app_name = "support"

# Under /contact/: the second-factor set-up lets these through (accounts.middleware).
urlpatterns = [
    path("contact/", views.ticket_create, name="ticket-create"),
    path("contact/vragen/", views.ticket_list, name="ticket-list"),
    path("contact/vragen/<int:pk>/", views.ticket_detail, name="ticket-detail"),
    path("hulp/", views.help_index, name="help-index"),
    path("hulp/<slug:key>/", views.help_article, name="help-article"),
    path("nieuw/", views.release_notes, name="release-notes"),
    path("nieuw/volgen/", views.release_notes_follow, name="release-notes-follow"),
    path("nieuw/<int:pk>/gezien/", views.release_note_dismiss, name="release-note-dismiss"),
    path("nieuw/afmelden/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
