"""One filterset drives the list page's filters and the API's ?field= parameters."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from regie.core.models import Organisation

from .choices import TicketChannel, TicketStatus
from .models import Ticket


class TicketFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=TicketStatus.choices, label=_("Status"))
    channel = django_filters.ChoiceFilter(choices=TicketChannel.choices, label=_("Channel"))
    organisation = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.none(), label=_("Organisation"), field_name="organisation"
    )
    is_open = django_filters.BooleanFilter(method="filter_open", label=_("Open"))
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("Registered from")
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label=_("Registered before")
    )

    class Meta:
        model = Ticket
        fields = ["q", "status", "channel", "organisation", "is_open"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        request = kwargs.get("request")
        user = user or getattr(request, "user", None)
        self.filters["organisation"].queryset = (
            Organisation.objects.for_user(user) if user is not None else Organisation.objects.none()
        )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__iexact=value) | Q(title__icontains=value))

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.filter(status__in=TicketStatus.open_values())
        return queryset.exclude(status__in=TicketStatus.open_values())
