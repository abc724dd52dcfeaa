"""Forms of the item register. They collect and type the input; the rules (who may own
what, lifecycle steps, attributes, purchases) are checked by services.save_item, whose
refusals `apply_errors()` puts on the right fields."""

import datetime
import json

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import fields_for_model, model_to_dict
from django.utils.translation import gettext_lazy as _

from regie.core.forms import AccessibleFormMixin
from regie.core.models import User

from . import services
from .choices import AttributeKind, CIStatus
from .models import ConfigurationItem, ConfigurationItemModel, ConfigurationItemType, Supplier

ATTR_PREFIX = "attr_"
ITEM_FORM_FIELDS = [
    "name", "organisation", "model", "status", "serial_number", "asset_tag", "location", "assigned_to", "supplier",
    "purchase_date", "price", "warranty_end", "maintenance_contract", "framework_contract", "notes",
]
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def attribute_field(spec):
    """A form field for one declared attribute (the service checks it again)."""
    kind = spec.get("kind", AttributeKind.TEXT)
    options = {"label": spec.get("label") or spec["code"], "required": bool(spec.get("required")),
               "help_text": spec.get("help", "")}
    low, high = spec.get("min"), spec.get("max")
    if kind == AttributeKind.INTEGER:
        return forms.IntegerField(min_value=low, max_value=high, **options)
    if kind == AttributeKind.DECIMAL:
        return forms.DecimalField(min_value=low, max_value=high, max_digits=20, decimal_places=6, **options)
    if kind == AttributeKind.DATE:
        return forms.DateField(widget=DATE_WIDGET, **options)
    if kind == AttributeKind.BOOLEAN:
        return forms.ChoiceField(choices=[("", "—"), ("true", _("yes")), ("false", _("no"))], **options)
    if kind == AttributeKind.CHOICE:
        return forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in spec.get("choices") or []], **options)
    return forms.CharField(max_length=min(int(high), services.TEXT_MAX) if high is not None else services.TEXT_MAX,
                           min_length=low, **options)


def attribute_initial(spec, value):
    if value is None:
        return None
    if spec.get("kind") == AttributeKind.BOOLEAN:
        return "true" if value else "false"
    return value


class ItemTypeChoiceForm(AccessibleFormMixin, forms.Form):
    """Step one of registering an item: its type (the attributes depend on it)."""

    type = forms.ModelChoiceField(queryset=ConfigurationItemType.objects.unrestricted().filter(is_active=True),
                                  label=_("Type"), to_field_name="code")


class ItemForm(AccessibleFormMixin, forms.Form):
    """Create or edit one item of `ci_type`, with a field per declared attribute."""

    recovery_hours = forms.DecimalField(
        label=_("Recovery time objective (hours)"), required=False, min_value=0, max_digits=6, decimal_places=2,
        help_text=_("For critical services: 4 hours for BRP, BAG, storage, authentication, domain and mail."),
    )

    def __init__(self, *args, user, ci_type, instance=None, **kwargs):
        self.user = user
        self.ci_type = ci_type
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            initial = model_to_dict(instance, fields=ITEM_FORM_FIELDS)
            rto = instance.recovery_time_objective
            initial["recovery_hours"] = round(rto.total_seconds() / 3600, 2) if rto else None
            for spec in ci_type.attribute_schema or []:
                value = (instance.attributes or {}).get(spec["code"])
                initial[ATTR_PREFIX + spec["code"]] = attribute_initial(spec, value)
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        model_fields = fields_for_model(
            ConfigurationItem, fields=ITEM_FORM_FIELDS,
            widgets={"purchase_date": DATE_WIDGET, "warranty_end": DATE_WIDGET,
                     "notes": forms.Textarea(attrs={"rows": 3})},
        )
        for name in ITEM_FORM_FIELDS:
            self.fields[name] = model_fields[name]
        self.order_fields([*ITEM_FORM_FIELDS, "recovery_hours"])
        fields = self.fields
        fields["organisation"].queryset = services.owner_choices(user).order_by("kind", "name")
        fields["organisation"].empty_label = None if not user.is_provider_staff else "—"
        current_model = instance.model_id if instance is not None else None
        fields["model"].queryset = ConfigurationItemModel.objects.unrestricted().filter(
            Q(ci_type=ci_type) & (~Q(approval="rejected") | Q(pk=current_model))
        ).order_by("manufacturer", "name")
        fields["model"].help_text = _("Models outside the standards catalogue are flagged as non-standard.")
        fields["status"].choices = [(value, label) for value, label in CIStatus.choices
                                    if value in services.allowed_statuses(instance.status if instance else None)]
        fields["location"].queryset = services.location_choices(user).order_by("organisation__name", "name")
        fields["assigned_to"].queryset = User.objects.for_user(user).filter(is_active=True).order_by(
            "last_name", "first_name")
        fields["supplier"].queryset = Supplier.objects.for_user(user).filter(
            Q(is_active=True) | Q(pk=getattr(instance, "supplier_id", None)))
        contracts = services.contract_choices(user).order_by("reference")
        fields["maintenance_contract"].queryset = contracts.filter(kind__in=services.SUPPORT_CONTRACT_KINDS)
        fields["framework_contract"].queryset = contracts.filter(kind="framework")
        fields["framework_contract"].help_text = _(
            "A purchase must name a valid framework contract with a line for a standard model.")
        if instance is None and not user.is_provider_staff:
            fields["organisation"].initial = user.organisation_id
        for spec in ci_type.attribute_schema or []:
            fields[ATTR_PREFIX + spec["code"]] = attribute_field(spec)
        self.decorate_widgets()

    @property
    def attribute_fields(self):
        return [self[name] for name in self.fields if name.startswith(ATTR_PREFIX)]

    @property
    def main_fields(self):
        return [self[name] for name in self.fields if not name.startswith(ATTR_PREFIX)]

    def values(self):
        """The service's input: model fields plus `attributes`."""
        data = dict(self.cleaned_data)
        hours = data.pop("recovery_hours", None)
        values = {name: data[name] for name in ITEM_FORM_FIELDS}
        values["recovery_time_objective"] = datetime.timedelta(hours=float(hours)) if hours else None
        values["attributes"] = {
            name[len(ATTR_PREFIX):]: value for name, value in data.items()
            if name.startswith(ATTR_PREFIX) and value not in (None, "")
        }
        if self.instance is None:
            values["ci_type"] = self.ci_type
        return values

    def apply_errors(self, exc):
        """Put a service's refusal on the fields it names."""
        attribute_errors = getattr(exc, "attribute_errors", {})
        field_errors = getattr(exc, "field_errors", None)
        if field_errors is None:
            field_errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        for code, messages in attribute_errors.items():
            name = ATTR_PREFIX + code
            self.add_error(name if name in self.fields else None, messages)
        for field, messages in field_errors.items():
            if field == "recovery_time_objective":
                field = "recovery_hours"
            self.add_error(field if field in self.fields else None, messages)
        self.decorate_widgets()


class ModelProposalForm(AccessibleFormMixin, forms.ModelForm):
    class Meta:
        model = ConfigurationItemModel
        fields = ["ci_type", "manufacturer", "name", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"notes": _("Why this model is needed; the provider decides.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ci_type"].queryset = ConfigurationItemType.objects.unrestricted().filter(is_active=True)
        self.decorate_widgets()

    def _post_clean(self):
        """The model is checked by services.propose_model (duplicates become a field error there)."""


class ModelDecisionForm(AccessibleFormMixin, forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("approve", _("Approve as standard")),
                                                                ("reject", _("Reject"))])
    standard_until = forms.DateField(label=_("Standard until"), required=False, widget=DATE_WIDGET,
                                     help_text=_("Leave empty for no end date."))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TypeSchemaForm(AccessibleFormMixin, forms.Form):
    attribute_schema = forms.CharField(
        label=_("Type-specific attributes (JSON)"),
        widget=forms.Textarea(attrs={"rows": 18, "class": "font-monospace"}),
        help_text=_('A list of {"code", "label", "kind" (text, integer, decimal, date, boolean, choice), "required", '
                    '"choices", "min", "max", "help"}.'),
    )

    def clean_attribute_schema(self):
        text = self.cleaned_data["attribute_schema"]
        try:
            schema = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(_("This is not valid JSON: %(error)s") % {"error": exc.msg}) from exc
        try:
            return services.validate_schema(schema)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["attribute_schema"]) from exc
