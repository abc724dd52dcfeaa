from django.urls import path

from . import views

app_name = "servicedesk"

urlpatterns = [
    path("", views.TicketListView.as_view(), name="ticket-list"),
    path("new/", views.TicketCreateView.as_view(), name="ticket-create"),
    path("<str:reference>/", views.TicketDetailView.as_view(), name="ticket-detail"),
    path("<str:reference>/edit/", views.TicketUpdateView.as_view(), name="ticket-update"),
]
