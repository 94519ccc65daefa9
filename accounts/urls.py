from django.urls import path

from accounts.views import profile, push, staff

app_name = "accounts"

urlpatterns = [
    path("profiel/", profile.profile, name="profile"),
    path("profiel/afwezigheid/", profile.absence_create, name="absence-create"),
    path(
        "profiel/afwezigheid/<int:pk>/verwijderen/", profile.absence_delete, name="absence-delete"
    ),
    path("profiel/meldingen/", push.push_subscribe, name="push-subscribe"),
    path("profiel/meldingen/uitzetten/", push.push_unsubscribe, name="push-unsubscribe"),
    path("collegas/", profile.colleague_search, name="colleague-search"),
    path("taal/", profile.language_set, name="language"),
]

urlpatterns += [
    path("praktijkinstellingen/medewerkers/", staff.staff_list, name="staff-list"),
    path(
        "praktijkinstellingen/medewerkers/aanvragen/",
        staff.account_request_create,
        name="account-request",
    ),
    path(
        "praktijkinstellingen/medewerkers/<int:pk>/level/",
        staff.level_change_request,
        name="level-change",
    ),
    path(
        "praktijkinstellingen/medewerkers/<int:pk>/toegang/",
        staff.patient_data_access,
        name="patient-data-access",
    ),
    path("uitnodigingen/", staff.invitation_list, name="invitation-list"),
    path("uitnodigingen/nieuw/", staff.invitation_create, name="invitation-create"),
    path(
        "uitnodigingen/<int:pk>/opnieuw-versturen/",
        staff.invitation_resend,
        name="invitation-resend",
    ),
    path("uitnodigingen/<int:pk>/intrekken/", staff.invitation_revoke, name="invitation-revoke"),
    path("uitnodiging/<str:token>/", staff.invitation_accept, name="invitation-accept"),
]
