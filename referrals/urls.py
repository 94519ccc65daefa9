from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("verwijzingen/", views.referral_list, name="list"),
    path("verwijzingen/teller/", views.new_badge, name="new-badge"),
    path("patienten/<int:pk>/verwijzen/", views.referral_create, name="create"),
    path("verwijzingen/<int:pk>/", views.referral_detail, name="detail"),
    path("verwijzingen/<int:pk>/terugkoppeling/", views.feedback_create, name="feedback"),
    path("verwijzingen/<int:pk>/bewerken/", views.referral_edit, name="edit"),
    path("verwijzingen/<int:pk>/fhir/", views.referral_fhir, name="fhir"),
    path("verwijzingen/<int:pk>/vraag/", views.referral_question, name="question"),
    path("verwijzingen/<int:pk>/collegas/", views.colleague_add, name="colleague-add"),
    path(
        "verwijzingen/<int:pk>/terugkoppeling/<int:feedback_pk>/his/",
        views.feedback_his_export,
        name="feedback-his",
    ),
    path(
        "verwijzingen/<int:pk>/aflevering/<int:delivery_pk>/opnieuw/",
        views.delivery_retry,
        name="delivery-retry",
    ),
    path(
        "verwijzingen/<int:pk>/bijlagen/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment",
    ),
    path(
        "verwijzingen/<int:pk>/his-export/<int:export_pk>/",
        views.feedback_his_download,
        name="feedback-his-download",
    ),
    # After the fixed paths above: send, cancel, accept, decline or close (else 404).
    path("verwijzingen/<int:pk>/<slug:action>/", views.referral_transition, name="transition"),
]
