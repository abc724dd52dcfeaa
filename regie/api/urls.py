"""API v1. NLGov ADR: no trailing slashes, plural kebab-case resource names."""

from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from regie.catalogue.api import BusinessCalendarViewSet
from regie.core.audit_api import AuditRecordViewSet

from . import auth_views, views

app_name = "api"

router = SimpleRouter(trailing_slash=False)
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("people", views.PersonViewSet, basename="person")
router.register("audit-records", AuditRecordViewSet, basename="audit-record")
router.register("business-calendars", BusinessCalendarViewSet, basename="business-calendar")

urlpatterns = [
    path("openapi.json", views.OpenApiJsonView.as_view(), name="openapi"),
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="api:openapi"), name="docs"),
    path("auth/token", auth_views.TokenObtainView.as_view(), name="auth-token"),
    path("auth/tokens", auth_views.TokenListView.as_view(), name="auth-token-list"),
    path("auth/tokens/<int:pk>", auth_views.TokenDetailView.as_view(), name="auth-token-detail"),
    path("", include(router.urls)),
]
