from django.urls import path

from careplans import plan_views as views

# Its own namespace: the advance care plan (same app) has "careplans".
app_name = "healthplan"

PLAN = "patienten/<int:pk>/gezondheidsplan/"

urlpatterns = [
    path(PLAN, views.plan_detail, name="plan"),
    path(f"{PLAN}problemen/", views.problem_create, name="problem-create"),
    path(f"{PLAN}problemen/<int:problem_pk>/", views.problem_edit, name="problem-edit"),
    path(f"{PLAN}problemen/<int:problem_pk>/doelen/", views.goal_create, name="goal-create"),
    path(f"{PLAN}doelen/<int:goal_pk>/", views.goal_edit, name="goal-edit"),
    path(f"{PLAN}doelen/<int:goal_pk>/acties/", views.action_create, name="action-create"),
    path(f"{PLAN}acties/<int:action_pk>/", views.action_edit, name="action-edit"),
    path(f"{PLAN}acties/<int:action_pk>/status/", views.action_status, name="action-status"),
    path(f"{PLAN}fhir/", views.plan_fhir, name="plan-fhir"),
    path(f"{PLAN}his/", views.plan_his_export, name="plan-his-export"),
    path(
        f"{PLAN}his/<int:export_pk>/",
        views.plan_his_export_download,
        name="plan-his-export-download",
    ),
]
