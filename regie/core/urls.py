from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("organisations/", views.OrganisationListView.as_view(), name="organisation-list"),
    path("organisations/<int:pk>/", views.OrganisationDetailView.as_view(), name="organisation-detail"),
    path("people/", views.PersonListView.as_view(), name="person-list"),
    path("people/<int:pk>/", views.PersonDetailView.as_view(), name="person-detail"),
    path("search/", views.search, name="search"),
]
