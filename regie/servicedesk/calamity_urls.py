from django.urls import path

from . import calamity_views as views

app_name = "calamity"

urlpatterns = [
    path("", views.CalamityListView.as_view(), name="list"),
    path("new/", views.declare_view, name="declare"),
    path("<int:pk>/", views.CalamityDetailView.as_view(), name="detail"),
    path("<int:pk>/status/", views.status_view, name="status"),
    path("<int:pk>/incidents/", views.link_incident_view, name="link-incident"),
    path("<int:pk>/participants/", views.add_participant_view, name="add-participant"),
    path("<int:pk>/crisis-team/", views.add_crisis_team_view, name="add-crisis-team"),
    path("<int:pk>/decisions/", views.add_decision_view, name="add-decision"),
    path("<int:pk>/communications/", views.add_communication_view, name="add-communication"),
    path("<int:pk>/phases/<int:phase_pk>/complete/", views.complete_phase_view, name="complete-phase"),
    path("<int:pk>/close/", views.close_view, name="close"),
]
