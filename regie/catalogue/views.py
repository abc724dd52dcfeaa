from django.utils.translation import gettext_lazy as _

from regie.core.generic import ScopedDetailView, ScopedListView

from .choices import ServiceGroup
from .models import Service, SlaTarget


class ServiceListView(ScopedListView):
    """The catalogue (PDC), grouped by the agreement's four groups."""

    model = Service
    template_name = "catalogue/service_list.html"
    select_related = ("owner_team",)
    orderings = {"group": (_("Group"), ["group", "name", "id"])}
    default_ordering = "group"
    page_size = 100

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        labels = dict(ServiceGroup.choices)
        groups = {}
        for service in context["object_list"]:
            groups.setdefault(service.group, []).append(service)
        context["groups"] = [(labels.get(key, key), services) for key, services in groups.items()]
        return context


class ServiceDetailView(ScopedDetailView):
    model = Service
    template_name = "catalogue/service_detail.html"

    def get_scoped_queryset(self):
        return super().get_scoped_queryset().select_related("owner_team", "calendar")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        service = context["object"]
        user = self.request.user
        targets = SlaTarget.objects.filter(service=service).select_related("organisation")
        if not user.is_provider_staff:
            # A participant sees its own specific targets, never another municipality's.
            targets = targets.filter(organisation__isnull=True) | targets.filter(organisation_id=user.organisation_id)
        context["targets"] = targets.order_by("priority")
        context["default_targets"] = SlaTarget.objects.filter(service__isnull=True, organisation__isnull=True)
        context["participants"] = service.participants.all() if user.is_provider_staff else []
        return context
