"""CMDB pages: imports (namespace cmdb, under /cmdb/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("imports/", views.ImportListView.as_view(), name="import-list"),
    path("imports/new", views.import_create, name="import-create"),
    path("imports/<int:pk>", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/progress", views.import_progress, name="import-progress"),
    path("imports/<int:pk>/apply", views.import_apply, name="import-apply"),
    path("imports/templates/<slug:type_code>.<str:fmt>", views.import_template, name="import-template"),
]
