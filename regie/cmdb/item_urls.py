"""CMDB pages: the overview, the item register, item types and the standards catalogue."""

from django.urls import path

from . import item_views as views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("items/", views.ItemListView.as_view(), name="item-list"),
    path("items/new/", views.item_create, name="item-create"),
    path("items/<int:pk>/", views.ItemDetailView.as_view(), name="item-detail"),
    path("items/<int:pk>/edit/", views.item_update, name="item-update"),
    path("items/<int:pk>/status/", views.item_status, name="item-status"),
    path("items/<int:pk>/delete/", views.item_delete, name="item-delete"),
    path("items/<int:pk>/timeline/", views.ItemTimelineView.as_view(), name="item-timeline"),
    path("types/", views.ItemTypeListView.as_view(), name="item-type-list"),
    path("types/<int:pk>/edit/", views.item_type_update, name="item-type-update"),
    path("standards/", views.ModelListView.as_view(), name="model-list"),
    path("standards/propose/", views.model_propose, name="model-create"),
    path("standards/<int:pk>/review/", views.model_review, name="model-review"),
]
