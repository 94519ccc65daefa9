from django.urls import path

from network.views import extractions, organisations, patients

app_name = "network"

urlpatterns = [
    path("organisatie/wissel/", organisations.organisation_switch, name="organisation-switch"),
    path("patienten/", patients.patient_list, name="patient-list"),
    path("patienten/nieuw/", patients.patient_create, name="patient-create"),
    path("patienten/<int:pk>/", patients.patient_detail, name="patient-detail"),
    path("patienten/<int:pk>/bewerken/", patients.patient_update, name="patient-update"),
    path("patienten/<int:pk>/medisch/", patients.patient_medical, name="patient-medical"),
    path("patienten/<int:pk>/afdrukken/", patients.patient_print, name="patient-print"),
    path(
        "patienten/<int:pk>/zichtbaarheid/",
        patients.patient_visibility,
        name="patient-visibility",
    ),
    path("patienten/<int:pk>/zorgnetwerk/", patients.patient_network, name="patient-network"),
    path(
        "patienten/<int:pk>/zorgnetwerk/zoeken/",
        patients.patient_network_candidates,
        name="patient-network-candidates",
    ),
    path(
        "patienten/<int:pk>/zorgnetwerk/toevoegen/",
        patients.patient_network_add,
        name="patient-network-add",
    ),
    path(
        "patienten/<int:pk>/zorgnetwerk/<int:member_pk>/beeindigen/",
        patients.patient_network_end,
        name="patient-network-end",
    ),
    path("patienten/<int:pk>/inzage/", patients.patient_access_log, name="patient-access-log"),
    path(
        "patienten/<int:pk>/inzage/export/",
        patients.patient_access_log_export,
        name="patient-access-log-export",
    ),
    path("extracties/", extractions.extraction_list, name="extraction-list"),
    path("extracties/<int:pk>/", extractions.extraction_detail, name="extraction-detail"),
]
