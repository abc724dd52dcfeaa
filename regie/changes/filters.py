"""The change list's filters, shared by the page and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy

from regie.core.models import Organisation

from .choices import ChangeKind, ChangeStatus
from .models import Change


class ChangeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=gettext_lazy("Search"))
    status = django_filters.ChoiceFilter(choices=ChangeStatus.choices, label=gettext_lazy("Status"),
                                         empty_label=gettext_lazy("All"))
    kind = django_filters.ChoiceFilter(choices=ChangeKind.choices, label=gettext_lazy("Kind"),
                                       empty_label=gettext_lazy("All"))
    organisation = django_filters.ModelChoiceFilter(queryset=Organisation.objects.none(),
                                                    label=gettext_lazy("Organisation"), empty_label=gettext_lazy("All"))
    item = django_filters.NumberFilter(method="filter_item", label=gettext_lazy("Configuration item (id)"))
    ci = django_filters.CharFilter(method="filter_ci", label=gettext_lazy("Configuration item"))

    class Meta:
        model = Change
        fields = ["q", "status", "kind", "organisation", "item", "ci"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        self.filters["organisation"].queryset = (
            Organisation.objects.for_user(user) if user is not None else Organisation.objects.none()
        )

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        return queryset.filter(Q(reference__iexact=value) | Q(title__icontains=value)) if value else queryset

    def filter_item(self, queryset, name, value):
        return queryset.filter(pk__in=Change.all_objects.filter(change_items__item_id=value).values("pk"))

    def filter_ci(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        matching = Change.all_objects.filter(
            Q(change_items__item__asset_tag=value) | Q(change_items__item__name__iexact=value)).values("pk")
        return queryset.filter(pk__in=matching)

    @property
    def form(self):
        form = super().form
        for name in ("status", "kind", "organisation"):
            form.fields[name].widget.attrs.setdefault("class", "form-select")
        return form
