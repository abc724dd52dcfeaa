"""CMDB pages: relations, impact analysis, affected items of calls, impact of calamities,
network links and datacenters."""

from django.urls import path

from . import network_views, relation_views

urlpatterns = [
    path("items/<int:pk>/relations/", relation_views.ItemRelationsView.as_view(), name="item-relations"),
    path("items/<int:pk>/relations/add/", relation_views.add_relation_view, name="relation-add"),
    path("relations/<int:pk>/delete/", relation_views.remove_relation_view, name="relation-delete"),
    path("items/<int:pk>/impact/", relation_views.ItemImpactView.as_view(), name="item-impact"),
    path("calls/<str:reference>/affected-items/", relation_views.TicketAffectedView.as_view(),
         name="ticket-affected"),
    path("calls/<str:reference>/affected-items/panel/", relation_views.TicketAffectedView.as_view(panel=True),
         name="ticket-affected-panel"),
    path("calls/<str:reference>/affected-items/add/", relation_views.add_affected_item_view,
         name="ticket-affected-add"),
    path("affected-items/<int:pk>/delete/", relation_views.remove_affected_item_view, name="affected-item-delete"),
    path("calamities/<int:pk>/impact/", relation_views.CalamityImpactView.as_view(), name="calamity-impact"),
    path("calamities/<int:pk>/impact/panel/", relation_views.CalamityImpactView.as_view(panel=True),
         name="calamity-impact-panel"),
    path("network/", network_views.NetworkLinkListView.as_view(), name="network-list"),
    path("network/new/", network_views.NetworkLinkFormView.as_view(), name="network-create"),
    path("network/<int:pk>/edit/", network_views.NetworkLinkFormView.as_view(), name="network-update"),
    path("datacenters/", network_views.DatacenterView.as_view(), name="datacenter-list"),
]
