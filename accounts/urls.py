from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("profiel/", views.profile, name="profile"),
    path("profiel/afwezigheid/", views.absence_create, name="absence-create"),
    path("profiel/afwezigheid/<int:pk>/verwijderen/", views.absence_delete, name="absence-delete"),
    path("collegas/", views.colleague_search, name="colleague-search"),
    path("taal/", views.language_set, name="language"),
    path("contact/", views.support_request, name="support"),
]

from accounts import staff_views  # noqa: E402

urlpatterns += [
    path("praktijkinstellingen/medewerkers/", staff_views.staff_list, name="staff-list"),
    path(
        "praktijkinstellingen/medewerkers/aanvragen/",
        staff_views.account_request_create,
        name="account-request",
    ),
    path(
        "praktijkinstellingen/medewerkers/<int:pk>/level/",
        staff_views.level_change_request,
        name="level-change",
    ),
    path(
        "praktijkinstellingen/medewerkers/<int:pk>/toegang/",
        staff_views.patient_data_access,
        name="patient-data-access",
    ),
    path("uitnodigingen/", staff_views.invitation_list, name="invitation-list"),
    path("uitnodigingen/nieuw/", staff_views.invitation_create, name="invitation-create"),
    path(
        "uitnodigingen/<int:pk>/opnieuw-versturen/",
        staff_views.invitation_resend,
        name="invitation-resend",
    ),
    path(
        "uitnodigingen/<int:pk>/intrekken/", staff_views.invitation_revoke, name="invitation-revoke"
    ),
    path("uitnodiging/<str:token>/", staff_views.invitation_accept, name="invitation-accept"),
]
