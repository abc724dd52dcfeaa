"""CMDB pages: the certificate register."""

from django.urls import path

from . import views

urlpatterns = [
    path("certificates/", views.CertificateListView.as_view(), name="certificate-list"),
    path("certificates/upload/", views.certificate_upload, name="certificate-upload"),
    path("certificates/<int:pk>/", views.CertificateDetailView.as_view(), name="certificate-detail"),
    path("certificates/<int:pk>/edit/", views.certificate_edit, name="certificate-edit"),
    path("certificates/<int:pk>/check/", views.certificate_check, name="certificate-check"),
]
