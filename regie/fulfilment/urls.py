"""Request fulfilment pages, under /requests/."""

from django.urls import path

from . import views

app_name = "fulfilment"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("new/<slug:code>/", views.request_new, name="request-new"),
    path("mine/", views.request_list, name="request-list"),
    path("waiting/", views.waiting, name="waiting"),
    path("tasks/", views.task_list, name="task-list"),
    path("tasks/<int:pk>/done/", views.task_done, name="task-done"),
    path("link/<str:token>/", views.approval_link, name="approval-link"),
    path("<int:pk>/", views.request_detail, name="request-detail"),
    path("<int:pk>/approvals/<int:approval_pk>/", views.approval_decide, name="approval-decide"),
    path("<int:pk>/cost/", views.cost_decide, name="cost-decide"),
]
