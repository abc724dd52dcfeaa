from django.urls import path

from . import canned_views as views

app_name = "canned"

urlpatterns = [
    path("", views.CannedResponseListView.as_view(), name="list"),
    path("new/", views.canned_create, name="create"),
    path("<int:pk>/edit/", views.canned_update, name="update"),
    path("<int:pk>/delete/", views.canned_delete, name="delete"),
]
