"""Change management pages."""

from django.urls import path

from . import views

app_name = "changes"

urlpatterns = [
    path("", views.ChangeListView.as_view(), name="list"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("new/", views.change_create, name="create"),
    path("<int:pk>/", views.ChangeDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.change_update, name="update"),
    path("<int:pk>/status/", views.change_transition, name="transition"),
    path("<int:pk>/decision/", views.change_decision, name="decision"),
    path("standard/", views.TemplateListView.as_view(), name="template-list"),
    path("standard/new/", views.template_create, name="template-create"),
    path("standard/<int:pk>/edit/", views.template_update, name="template-update"),
    path("calls/<str:reference>/panel/", views.ticket_changes_panel, name="ticket-panel"),
]
