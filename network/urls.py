from django.urls import path

from network import extraction_views, patient_views, views

app_name = "network"

urlpatterns = [
    path("organisatie/wissel/", views.organisation_switch, name="organisation-switch"),
    path("patienten/", patient_views.patient_list, name="patient-list"),
    path("patienten/nieuw/", patient_views.patient_create, name="patient-create"),
    path("patienten/<int:pk>/", patient_views.patient_detail, name="patient-detail"),
    path("patienten/<int:pk>/bewerken/", patient_views.patient_update, name="patient-update"),
    path("patienten/<int:pk>/medisch/", patient_views.patient_medical, name="patient-medical"),
    path("patienten/<int:pk>/afdrukken/", patient_views.patient_print, name="patient-print"),
    path(
        "patienten/<int:pk>/zichtbaarheid/",
        patient_views.patient_visibility,
        name="patient-visibility",
    ),
    path("patienten/<int:pk>/zorgnetwerk/", patient_views.patient_network, name="patient-network"),
    path(
        "patienten/<int:pk>/zorgnetwerk/zoeken/",
        patient_views.patient_network_candidates,
        name="patient-network-candidates",
    ),
    path(
        "patienten/<int:pk>/zorgnetwerk/toevoegen/",
        patient_views.patient_network_add,
        name="patient-network-add",
    ),
    path(
        "patienten/<int:pk>/zorgnetwerk/<int:member_pk>/beeindigen/",
        patient_views.patient_network_end,
        name="patient-network-end",
    ),
    path("patienten/<int:pk>/inzage/", patient_views.patient_access_log, name="patient-access-log"),
    path(
        "patienten/<int:pk>/inzage/export/",
        patient_views.patient_access_log_export,
        name="patient-access-log-export",
    ),
    path("extracties/", extraction_views.extraction_list, name="extraction-list"),
    path("extracties/<int:pk>/", extraction_views.extraction_detail, name="extraction-detail"),
]
