"""API v1. NLGov ADR: no trailing slashes, plural kebab-case resource names."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import views

app_name = "api"

router = SimpleRouter(trailing_slash=False)
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("people", views.PersonViewSet, basename="person")

urlpatterns = [
    path("", views.api_root, name="root"),
    path("openapi.json", SpectacularAPIView.as_view(), name="openapi"),
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="api:openapi"), name="docs"),
    path("", include(router.urls)),
]
