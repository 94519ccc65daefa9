from django.urls import path

from careplans import acp_views as views

app_name = "careplans"

urlpatterns = [
    path("patienten/<int:pk>/pzp/", views.acp_detail, name="acp-detail"),
    path("patienten/<int:pk>/pzp/vastleggen/", views.acp_edit, name="acp-edit"),
    path("patienten/<int:pk>/pzp/versies/", views.acp_history, name="acp-history"),
    path("patienten/<int:pk>/pzp/versies/<int:number>/", views.acp_version, name="acp-version"),
    path("patienten/<int:pk>/pzp/vergelijken/", views.acp_compare, name="acp-compare"),
    path("patienten/<int:pk>/pzp/pdf/", views.acp_pdf, name="acp-pdf"),
    path("patienten/<int:pk>/pzp/fhir/", views.acp_fhir, name="acp-fhir"),
    path("patienten/<int:pk>/pzp/his/", views.acp_his, name="acp-his"),
    path(
        "patienten/<int:pk>/pzp/his/<int:export_pk>/",
        views.acp_his_download,
        name="acp-his-download",
    ),
]
