from django.urls import path

from . import calamity_views, conversation_views, dashboard_views, handling_views, portal_views, time_views, views

app_name = "servicedesk"

urlpatterns = [
    path("", views.TicketListView.as_view(), name="ticket-list"),
    path("new/", views.TicketCreateView.as_view(), name="ticket-create"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("<str:reference>/", views.TicketDetailView.as_view(), name="ticket-detail"),
    path("<str:reference>/edit/", views.TicketUpdateView.as_view(), name="ticket-update"),
    path("<str:reference>/transfer/", handling_views.transfer_view, name="ticket-transfer"),
    path("<str:reference>/escalate/", handling_views.escalate_view, name="ticket-escalate"),
    path("<str:reference>/escalations/<int:pk>/outcome/", handling_views.escalation_outcome_view,
         name="escalation-outcome"),
    path("<str:reference>/reply/", views.TicketReplyView.as_view(), name="ticket-reply"),
    path("<str:reference>/attachments/<int:pk>/", conversation_views.attachment_download,
         name="attachment-download"),
    path("<str:reference>/merge/", conversation_views.merge_view, name="ticket-merge"),
    path("<str:reference>/children/", conversation_views.link_child_view, name="ticket-link-child"),
    path("<str:reference>/children/<str:child>/unlink/", conversation_views.unlink_child_view,
         name="ticket-unlink-child"),
    path("<str:reference>/rating/", conversation_views.rating_view, name="ticket-rating"),
    path("<str:reference>/triage/", calamity_views.triage_view, name="ticket-triage"),
    path("<str:reference>/reopen/", portal_views.reopen_view, name="ticket-reopen"),
    path("<str:reference>/time-entries/", time_views.time_entry_add, name="time-entry-add"),
    path("<str:reference>/time-entries/<int:pk>/edit/", time_views.time_entry_update, name="time-entry-update"),
    path("<str:reference>/time-entries/<int:pk>/delete/", time_views.time_entry_delete, name="time-entry-delete"),
]
