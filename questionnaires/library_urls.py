from django.urls import path

from questionnaires import library_views as views

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
]
