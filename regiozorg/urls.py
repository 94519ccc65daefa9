from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts.views.profile import admin_login
from regiozorg import pwa, views

admin.site.site_header = _("Regiozorg helpdesk")
admin.site.site_title = _("Regiozorg helpdesk")
admin.site.index_title = _("Management")
# Admin login goes through allauth, so rate limits and the second factor apply there too.
admin.site.login = admin_login

urlpatterns = [
    path("", views.home, name="home"),
    path("vandaag/<slug:key>/", views.start_block, name="start-block"),
    path("healthz", views.healthz, name="healthz"),
    # The installable web app (regiozorg/pwa.py): no patient data, so not no-store.
    path("manifest.webmanifest", pwa.manifest, name="pwa-manifest"),
    path("sw.js", pwa.service_worker, name="pwa-service-worker"),
    path("offline/", pwa.offline, name="pwa-offline"),
    path(
        "accounts/email/", views.not_offered, name="email-not-offered"
    ),  # before allauth's own (see not_offered)
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("network.urls")),
    path("", include("conversations.urls")),
    path("", include("referrals.urls")),
    path("", include("careplans.acp_urls")),
    path("", include("careplans.plan_urls")),
    path("", include("questionnaires.measure_urls")),
    path("", include("questionnaires.library_urls")),
    path("", include("meetings.urls")),
    path("", include("support.urls")),
]
