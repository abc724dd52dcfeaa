"""Filters of the global audit view, its CSV export (and the API, when it comes)."""

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit import ChangeLoggedModel
from .choices import AuditAction, AuditResult
from .models import AuditRecord, Organisation


def audited_content_types():
    """Object types that write audit records: every ChangeLoggedModel (plus the user)."""
    models = [model for model in apps.get_models() if issubclass(model, ChangeLoggedModel)]
    by_model = ContentType.objects.get_for_models(*models, for_concrete_models=True)
    return ContentType.objects.filter(pk__in=[ct.pk for ct in by_model.values()]).order_by("app_label", "model")


class ContentTypeChoiceField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, obj):
        model = obj.model_class()
        return str(model._meta.verbose_name).capitalize() if model else obj.model


class ContentTypeFilter(django_filters.ModelChoiceFilter):
    field_class = ContentTypeChoiceField


class AuditDateField(forms.DateField):
    """A date within reach of the trail (and of datetime arithmetic: no year 1 or 9999)."""

    def validate(self, value):
        super().validate(value)
        if value and not 2000 <= value.year <= 2999:
            raise forms.ValidationError(_("Enter a date between the years 2000 and 2999."), code="out_of_range")


class AuditDateFilter(django_filters.DateFilter):
    field_class = AuditDateField


def _start_of_day(value):
    return timezone.make_aware(datetime.combine(value, time.min))


class AuditRecordFilterSet(django_filters.FilterSet):
    who = django_filters.CharFilter(field_name="actor_label", lookup_expr="icontains", label=_("Who"))
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, label=_("Action"))
    result = django_filters.ChoiceFilter(choices=AuditResult.choices, label=_("Result"))
    object_type = ContentTypeFilter(
        field_name="content_type", queryset=ContentType.objects.none(), label=_("Object type")
    )
    organisation = django_filters.ModelChoiceFilter(queryset=Organisation.objects.none(), label=_("Organisation"))
    date_from = AuditDateFilter(method="filter_date_from", label=_("From (date)"))
    date_to = AuditDateFilter(method="filter_date_to", label=_("Up to and including (date)"))
    q = django_filters.CharFilter(method="search", label=_("Object"))

    class Meta:
        model = AuditRecord
        fields = ["who", "action", "result", "object_type", "organisation", "date_from", "date_to", "q"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        user = user or getattr(self.request, "user", None)
        self.filters["organisation"].queryset = (
            Organisation.objects.for_user(user) if user is not None else Organisation.objects.none()
        )
        self.filters["object_type"].queryset = audited_content_types()

    def filter_date_from(self, queryset, name, value):
        # Dates are the user's local dates (Europe/Amsterdam); the column is UTC.
        return queryset.filter(timestamp__gte=_start_of_day(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(timestamp__lt=_start_of_day(value + timedelta(days=1)))

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(object_repr__icontains=value) | Q(object_id=value))
