from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("verwijzingen/", views.referral_list, name="list"),
    path("patienten/<int:pk>/verwijzen/", views.referral_create, name="create"),
    path("verwijzingen/<int:pk>/", views.referral_detail, name="detail"),
    path("verwijzingen/<int:pk>/terugkoppeling/", views.feedback_create, name="feedback"),
    path("verwijzingen/<int:pk>/fhir/", views.referral_fhir, name="fhir"),
    path("verwijzingen/<int:pk>/vraag/", views.referral_question, name="question"),
    # After the fixed paths above: send, cancel, accept, decline or close (else 404).
    path("verwijzingen/<int:pk>/<slug:action>/", views.referral_transition, name="transition"),
]
