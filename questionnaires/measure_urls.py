from django.urls import path

from questionnaires import measure_views as views

app_name = "measurements"

BASE = "patienten/<int:pk>/metingen/"

urlpatterns = [
    # Every open alert of the practice's patients: the start page shows the newest five.
    path("metingen/signalen/", views.practice_alerts, name="practice-alerts"),
    path(BASE, views.measurements_page, name="page"),
    path(f"{BASE}nieuw/", views.measurement_enter, name="enter"),
    path(f"{BASE}grenzen/", views.thresholds_edit, name="thresholds"),
    path(f"{BASE}signalen/<int:alert_pk>/", views.alert_handle, name="alert-handle"),
    path(f"{BASE}fhir/", views.measurements_fhir, name="fhir"),
    path(f"{BASE}his/", views.measurements_his_export, name="his-export"),
    path(
        f"{BASE}his/<int:export_pk>/",
        views.measurements_his_export_download,
        name="his-export-download",
    ),
]
