from django.urls import path

from questionnaires import library_views as views
from questionnaires import link_patient_views, link_views

app_name = "questionnaires"

BASE = "patienten/<int:pk>/vragenlijsten/"

urlpatterns = [
    path(BASE, views.results, name="results"),
    path(f"{BASE}<int:questionnaire_pk>/invullen/", views.fill, name="fill"),
    path(f"{BASE}antwoorden/<int:response_pk>/", views.response_detail, name="response"),
    path(f"{BASE}antwoorden/<int:response_pk>/fhir/", views.response_fhir, name="response-fhir"),
    path(
        f"{BASE}antwoorden/<int:response_pk>/his/",
        views.response_his_export,
        name="response-his-export",
    ),
    # Sending a questionnaire to the patient, and withdrawing it.
    path(f"{BASE}versturen/", link_views.send, name="link-send"),
    path(f"{BASE}verstuurd/<int:link_pk>/intrekken/", link_views.revoke, name="link-revoke"),
    # The patient's own page, from the link in their e-mail or text message (no account).
    path("vragenlijst/<str:token>/", link_patient_views.patient_link, name="patient-link"),
]
