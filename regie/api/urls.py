"""API v1. NLGov ADR: no trailing slashes, plural kebab-case resource names."""

from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from regie.agreement import api as agreement_api
from regie.catalogue.api import BusinessCalendarViewSet
from regie.changes import api as changes_api
from regie.cmdb.api_routes import register_cmdb_routes
from regie.core.audit_api import AuditRecordViewSet
from regie.fulfilment import api as fulfilment_api

from . import auth_views, calamity_api, views

app_name = "api"

router = SimpleRouter(trailing_slash=False)
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("people", views.PersonViewSet, basename="person")
router.register("audit-records", AuditRecordViewSet, basename="audit-record")
router.register("business-calendars", BusinessCalendarViewSet, basename="business-calendar")
router.register("canned-responses", views.CannedResponseViewSet, basename="canned-response")
router.register("calamities", calamity_api.CalamityViewSet, basename="calamity")
register_cmdb_routes(router)
router.register("changes", changes_api.ChangeViewSet, basename="change")
router.register("standard-change-templates", changes_api.StandardChangeTemplateViewSet,
                basename="standard-change-template")
router.register("agreement-versions", agreement_api.AgreementVersionViewSet, basename="agreement-version")
router.register("agreement-proposals", agreement_api.ChangeProposalViewSet, basename="agreement-proposal")
router.register("request-types", fulfilment_api.RequestTypeViewSet, basename="request-type")
router.register("service-requests", fulfilment_api.ServiceRequestViewSet, basename="service-request")
router.register("approvals", fulfilment_api.ApprovalViewSet, basename="approval")
router.register("fulfilment-tasks", fulfilment_api.FulfilmentTaskViewSet, basename="fulfilment-task")

urlpatterns = [
    path("openapi.json", views.OpenApiJsonView.as_view(), name="openapi"),
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="api:openapi"), name="docs"),
    path("auth/token", auth_views.TokenObtainView.as_view(), name="auth-token"),
    path("auth/tokens", auth_views.TokenListView.as_view(), name="auth-token-list"),
    path("auth/tokens/<int:pk>", auth_views.TokenDetailView.as_view(), name="auth-token-detail"),
    path("", include(router.urls)),
]
