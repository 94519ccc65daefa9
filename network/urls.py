from django.urls import path

from network import views

app_name = "network"

urlpatterns = [
    path("organisatie/wissel/", views.organisation_switch, name="organisation-switch"),
]
