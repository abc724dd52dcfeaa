"""Agreement (DVO) pages."""

from django.urls import path

from . import views

app_name = "agreement"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("history/", views.history, name="history"),
    path("versions/<int:pk>/", views.version_detail, name="version-detail"),
    path("versions/<int:pk>/document/", views.version_document, name="version-document"),
    path("versions/<int:pk>/document/upload/", views.version_upload, name="version-upload"),
    path("signatories/<int:pk>/sign/", views.signatory_sign, name="signatory-sign"),
    path("proposals/new/", views.proposal_create, name="proposal-create"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal-detail"),
    path("proposals/<int:pk>/open/", views.proposal_open, name="proposal-open"),
    path("proposals/<int:pk>/withdraw/", views.proposal_withdraw, name="proposal-withdraw"),
    path("proposals/<int:pk>/consent/", views.proposal_consent, name="proposal-consent"),
    path("proposals/<int:pk>/decline/", views.proposal_decline, name="proposal-decline"),
]
