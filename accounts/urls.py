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
