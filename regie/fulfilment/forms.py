"""The request form, built from the type's declared fields. The server-side validation is
services.clean_values (shared with the API); this form only renders and carries values."""

from django import forms
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from regie.cmdb.models import ConfigurationItem, ConfigurationItemModel
from regie.cmdb.services import standard_q
from regie.core.forms import AccessibleFormMixin
from regie.core.models import User

from .choices import FieldKind

MAX_OPTIONS = 500


def _options(queryset, label=str):
    return [("", "—")] + [(str(obj.pk), label(obj)) for obj in queryset[:MAX_OPTIONS]]


def _field(actor, spec):
    kind = spec.get("kind", FieldKind.TEXT)
    common = {"label": spec.get("label") or spec["name"], "required": bool(spec.get("required")),
              "help_text": spec.get("help", "")}
    if kind == FieldKind.CHOICE:
        choices = [("", "—")] + [(c, c) for c in spec.get("choices") or []]
        return forms.CharField(widget=forms.Select(choices=choices), **common)
    if kind == FieldKind.PERSON:
        people = User.objects.for_user(actor).filter(is_active=True).order_by("last_name", "first_name")
        return forms.CharField(widget=forms.Select(choices=_options(people)), **common)
    if kind == FieldKind.CI:
        items = ConfigurationItem.objects.for_user(actor).order_by("name", "id").only("pk", "name")
        return forms.CharField(widget=forms.Select(choices=_options(items)), **common)
    if kind == FieldKind.MODEL:
        models = ConfigurationItemModel.objects.unrestricted().filter(standard_q(prefix="")).order_by(
            "manufacturer", "name")
        return forms.CharField(widget=forms.Select(choices=_options(models)), **common)
    if kind == FieldKind.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == FieldKind.NUMBER:
        return forms.CharField(widget=forms.NumberInput(attrs={"step": "any", "min": "0"}), **common)
    if kind == FieldKind.FILE:
        return forms.FileField(**common)
    if kind == FieldKind.BOOLEAN:
        return forms.BooleanField(**{**common, "required": False})
    if spec["name"] in ("reason", "notes"):
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    return forms.CharField(**common)


class RequestForm(AccessibleFormMixin, forms.Form):
    def __init__(self, actor, request_type, *args, **kwargs):
        self.request_type = request_type
        super(AccessibleFormMixin, self).__init__(*args, **kwargs)
        for spec in request_type.fields:
            self.fields[spec["name"]] = _field(actor, spec)
        self.decorate_widgets()

    def raw_values(self):
        """What was sent, per declared field, for the service to validate."""
        raw = {}
        for spec in self.request_type.fields:
            name = spec["name"]
            if spec.get("kind") == FieldKind.FILE:
                raw[name] = self.files.get(name)
            elif spec.get("kind") == FieldKind.BOOLEAN:
                raw[name] = name in self.data
            else:
                raw[name] = self.data.get(name, "")
        return raw

    def show_errors(self, exc):
        """The service's refusals as field errors (or errors of the whole form)."""
        self._errors = ErrorDict()
        self.cleaned_data = {}
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        self.decorate_widgets()


class DecisionForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))


class DelegationForm(AccessibleFormMixin, forms.Form):
    delegate = forms.ModelChoiceField(label=_("Delegate"), queryset=User.objects.none())
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, actor, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delegate"].queryset = User.objects.for_user(actor).filter(
            is_active=True, organisation_id=actor.organisation_id).exclude(pk=actor.pk)
