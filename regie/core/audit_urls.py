from django.urls import path

from . import audit_views

app_name = "audit"

urlpatterns = [
    path("", audit_views.audit_list, name="list"),
    path("export.csv", audit_views.audit_export, name="export"),
    path("<str:app_label>/<str:model>/<int:pk>/", audit_views.object_history, name="object"),
]
