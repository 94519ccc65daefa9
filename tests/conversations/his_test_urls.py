"""The project's URLs plus the two HIS-export routes, until ``conversations.urls`` has them.

``test_his_export`` switches to this urlconf only while ``conversations:his-export`` cannot be
reversed in the real one. ``detail`` stands in for the conversation page the views redirect to.
"""

from django.http import HttpResponse
from django.urls import include, path

from conversations import his_views
from regiozorg.urls import urlpatterns as project_urlpatterns


def conversation_detail_stand_in(request, pk):
    return HttpResponse(f"conversation {pk}")


his_patterns = (
    [
        path("gesprekken/<int:pk>/", conversation_detail_stand_in, name="detail"),
        path("gesprekken/<int:pk>/his/", his_views.his_export, name="his-export"),
        path(
            "gesprekken/<int:pk>/his/<int:export_pk>/",
            his_views.his_export_download,
            name="his-export-download",
        ),
    ],
    "conversations",
)

# Ours first: should the project already have a "conversations" namespace, the first wins.
urlpatterns = [path("", include(his_patterns)), *project_urlpatterns]
