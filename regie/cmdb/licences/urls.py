"""CMDB pages: licences (products, entitlements, assignments, compliance)."""

from django.urls import path

from . import views

urlpatterns = [
    path("licences/", views.compliance_view, name="licence-compliance"),
    path("licences/products/", views.ProductListView.as_view(), name="licence-product-list"),
    path("licences/products/<int:pk>/", views.ProductDetailView.as_view(), name="licence-product-detail"),
    path("licences/entitlements/", views.EntitlementListView.as_view(), name="licence-entitlement-list"),
    path("licences/entitlements/new/", views.entitlement_create, name="licence-entitlement-create"),
    path("licences/entitlements/<int:pk>/", views.EntitlementDetailView.as_view(), name="licence-entitlement-detail"),
    path("licences/entitlements/<int:pk>/edit/", views.entitlement_update, name="licence-entitlement-update"),
    path("licences/assignments/", views.AssignmentListView.as_view(), name="licence-assignment-list"),
    path("licences/assignments/new/", views.assignment_create, name="licence-assignment-create"),
    path("licences/assignments/<int:pk>/delete/", views.assignment_delete, name="licence-assignment-delete"),
]
