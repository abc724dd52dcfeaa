"""Filters of the item register and the standards catalogue, shared by the pages and the
API. Every filter has an index behind it (see ConfigurationItem.Meta and migration 0003):
owner (organisation, type, status), type (type, status), status (status, name, id),
location / model (foreign-key indexes), category and standard (through the type's and the
model's primary key), warranty (warranty end), search (name trigram on PostgreSQL; serial number and
asset tag exact)."""

import datetime

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from regie.core.models import Location, Organisation

from . import services
from .choices import CICategory, CIStatus, ModelApproval
from .models import ConfigurationItem, ConfigurationItemModel, ConfigurationItemType

STANDARD, NON_STANDARD, NO_MODEL = "standard", "non_standard", "no_model"
WARRANTY_ENDING, WARRANTY_ENDED = "ending", "ended"


def _warranty_ending_label():
    # Formatted when shown, in the reader's language (a lazy string's % formats at once).
    return str(_("ends within %(days)s days") % {"days": services.WARRANTY_HORIZON_DAYS})


class ItemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"),
                                  help_text=_("Name, serial number or asset tag."))
    type = django_filters.ModelChoiceFilter(
        field_name="ci_type", queryset=ConfigurationItemType.objects.unrestricted(), label=_("Type"),
        empty_label=_("All types"),
    )
    category = django_filters.ChoiceFilter(field_name="ci_type__category", choices=CICategory.choices,
                                           label=_("Category"), empty_label=_("All categories"))
    organisation = django_filters.ModelChoiceFilter(queryset=Organisation.objects.none(), label=_("Owner"),
                                                    empty_label=_("All owners"))
    status = django_filters.ChoiceFilter(choices=CIStatus.choices, label=_("Status"), empty_label=_("All statuses"))
    location = django_filters.ModelChoiceFilter(queryset=Location.objects.none(), label=_("Location"),
                                                empty_label=_("All locations"))
    model = django_filters.ModelChoiceFilter(queryset=ConfigurationItemModel.objects.unrestricted(),
                                             label=_("Brand and type"), empty_label=_("All models"))
    standard = django_filters.ChoiceFilter(
        method="filter_standard", label=_("Standard"), empty_label=_("All"),
        choices=[(STANDARD, _("standard model")), (NON_STANDARD, _("non-standard model")),
                 (NO_MODEL, _("no model recorded"))],
    )

    warranty = django_filters.ChoiceFilter(
        method="filter_warranty", label=_("Warranty"), empty_label=_("All"),
        choices=[(WARRANTY_ENDING, lazy(_warranty_ending_label, str)()), (WARRANTY_ENDED, _("has ended"))],
    )

    class Meta:
        model = ConfigurationItem
        fields = ["q", "type", "category", "organisation", "status", "location", "model", "standard", "warranty"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self.filters["organisation"].queryset = Organisation.objects.for_user(user).filter(
                kind__in=["provider", "participant"])
            self.filters["location"].queryset = Location.objects.for_user(user).select_related("organisation")

    @property
    def form(self):
        form = super().form
        for name in ("type", "category", "organisation", "status", "location", "model", "standard", "warranty"):
            form.fields[name].widget.attrs.setdefault("class", "form-select")
        form.fields["q"].widget.attrs.update({"class": "form-control", "maxlength": "100", "type": "search"})
        return form

    def search(self, queryset, name, value):
        value = (value or "").strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(serial_number=value) | Q(asset_tag=value)
            | Q(serial_number=value.upper()) | Q(asset_tag=value.upper())
        )

    def filter_warranty(self, queryset, name, value):
        today = timezone.localdate()
        if value == WARRANTY_ENDING:
            return queryset.filter(warranty_end__gte=today,
                                   warranty_end__lte=today + datetime.timedelta(days=services.WARRANTY_HORIZON_DAYS))
        if value == WARRANTY_ENDED:
            return queryset.filter(warranty_end__lt=today)
        return queryset

    def filter_standard(self, queryset, name, value):
        if value == STANDARD:
            return queryset.filter(services.standard_q())
        if value == NON_STANDARD:
            return queryset.filter(model__isnull=False).exclude(services.standard_q())
        if value == NO_MODEL:
            return queryset.filter(model__isnull=True)
        return queryset


class ModelFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    type = django_filters.ModelChoiceFilter(field_name="ci_type", queryset=ConfigurationItemType.objects.unrestricted(),
                                            label=_("Type"), empty_label=_("All types"))
    approval = django_filters.ChoiceFilter(choices=ModelApproval.choices, label=_("Approval"),
                                           empty_label=_("All"))
    standard = django_filters.ChoiceFilter(method="filter_standard", label=_("Standard today"), empty_label=_("All"),
                                           choices=[("true", _("yes")), ("false", _("no"))])

    class Meta:
        model = ConfigurationItemModel
        fields = ["q", "type", "approval", "standard"]

    @property
    def form(self):
        form = super().form
        for name in ("type", "approval"):
            form.fields[name].widget.attrs.setdefault("class", "form-select")
        form.fields["standard"].widget.attrs.setdefault("class", "form-select")
        return form

    def search(self, queryset, name, value):
        value = (value or "").strip()[:100]
        if not value:
            return queryset
        return queryset.filter(Q(manufacturer__icontains=value) | Q(name__icontains=value))

    def filter_standard(self, queryset, name, value):
        if value not in ("true", "false"):
            return queryset
        condition = services.standard_q(prefix="")
        return queryset.filter(condition) if value == "true" else queryset.exclude(condition)
