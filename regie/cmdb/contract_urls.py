"""CMDB pages: suppliers and contracts."""

from django.urls import path

from . import contract_views as views

urlpatterns = [
    path("suppliers/", views.SupplierListView.as_view(), name="supplier-list"),
    path("suppliers/new/", views.supplier_create, name="supplier-create"),
    path("suppliers/<int:pk>/", views.SupplierDetailView.as_view(), name="supplier-detail"),
    path("suppliers/<int:pk>/edit/", views.supplier_update, name="supplier-update"),
    path("suppliers/<int:pk>/contacts/new/", views.supplier_contact, name="supplier-contact-create"),
    path("suppliers/<int:pk>/contacts/<int:contact_pk>/", views.supplier_contact, name="supplier-contact-update"),
    path("suppliers/<int:pk>/contacts/<int:contact_pk>/delete/", views.supplier_contact_delete,
         name="supplier-contact-delete"),
    path("contracts/", views.ContractListView.as_view(), name="contract-list"),
    path("contracts/new/", views.contract_create, name="contract-create"),
    path("contracts/<int:pk>/", views.ContractDetailView.as_view(), name="contract-detail"),
    path("contracts/<int:pk>/edit/", views.contract_update, name="contract-update"),
    path("contracts/<int:pk>/lines/", views.contract_line_add, name="contract-line-add"),
    path("contracts/<int:pk>/lines/<int:line_pk>/delete/", views.contract_line_delete, name="contract-line-delete"),
    path("contracts/<int:pk>/purchase-check/", views.purchase_check, name="contract-purchase-check"),
]
