"""Forms of the change pages; they only translate input, the rules are in services.py."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regie.cmdb.models import ConfigurationItem
from regie.core.choices import OrganisationKind
from regie.core.forms import AccessibleFormMixin
from regie.core.models import Organisation, User
from regie.servicedesk.models import Ticket

from .choices import ChangeStatus
from .models import Change, StandardChangeTemplate

DATETIME = "%Y-%m-%dT%H:%M"


def _datetime_widget():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME)


class ChangeForm(AccessibleFormMixin, forms.ModelForm):
    items = forms.CharField(
        label=gettext_lazy("Configuration items"), widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Asset tags or exact names of the items the change touches, one per line."),
    )
    ticket_reference = forms.CharField(label=gettext_lazy("Call"), required=False, max_length=30,
                                       help_text=gettext_lazy("Optional: the reference of the call that raised it."))

    class Meta:
        model = Change
        fields = ["title", "kind", "template", "organisation", "description", "requester", "owner", "risk",
                  "risk_assessment", "test_plan", "test_result", "rollback_plan", "planned_start", "planned_end"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "risk_assessment": forms.Textarea(attrs={"rows": 2}),
            "test_plan": forms.Textarea(attrs={"rows": 2}),
            "test_result": forms.Textarea(attrs={"rows": 2}),
            "rollback_plan": forms.Textarea(attrs={"rows": 2}),
            "planned_start": _datetime_widget(),
            "planned_end": _datetime_widget(),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["organisation"].queryset = Organisation.objects.for_user(user)
        self.fields["template"].queryset = StandardChangeTemplate.objects.for_user(user).filter(
            Q(is_active=True) | Q(pk=self.instance.template_id))
        people = User.objects.for_user(user).filter(is_active=True).select_related("organisation")
        self.fields["requester"].queryset = people
        self.fields["requester"].required = False
        self.fields["owner"].queryset = people.filter(organisation__kind=OrganisationKind.PROVIDER)
        self.fields["owner"].required = False
        for name in ("planned_start", "planned_end"):
            self.fields[name].input_formats = [DATETIME, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        if self.instance.pk:
            tags = [item.asset_tag or item.name for item in
                    ConfigurationItem.objects.unrestricted().filter(change_links__change=self.instance)]
            self.initial.setdefault("items", "\n".join(tags))
            if self.instance.ticket_id:
                self.initial.setdefault("ticket_reference", self.instance.ticket.reference)
        self.decorate_widgets()

    def clean_items(self):
        names = [line.strip() for line in self.cleaned_data["items"].replace(",", "\n").splitlines() if line.strip()]
        items, unknown = [], []
        visible = ConfigurationItem.objects.for_user(self.user).select_related("organisation")
        for name in dict.fromkeys(names):
            item = visible.filter(Q(asset_tag=name) | Q(name=name)).order_by("id").first()
            (items.append(item) if item is not None else unknown.append(name))
        if unknown:
            raise ValidationError(_("Unknown configuration items: %(names)s.") % {"names": ", ".join(unknown)})
        return items

    def clean_ticket_reference(self):
        value = self.cleaned_data["ticket_reference"].strip()
        if not value:
            return None
        ticket = Ticket.objects.for_user(self.user).filter(reference=value).first()
        if ticket is None:
            raise ValidationError(_("No call with this reference."))
        return ticket

    def _post_clean(self):
        # The model's own validation runs in the service (nothing half-checked here).
        pass

    def values(self):
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        data["ticket"] = self.cleaned_data.get("ticket_reference")
        return data


class DecisionForm(AccessibleFormMixin, forms.Form):
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              max_length=2000)


class TransitionForm(AccessibleFormMixin, forms.Form):
    status = forms.ChoiceField(choices=ChangeStatus.choices, widget=forms.HiddenInput)
    planned_start = forms.DateTimeField(label=gettext_lazy("Planned start"), required=False,
                                        widget=_datetime_widget(), input_formats=[DATETIME])
    planned_end = forms.DateTimeField(label=gettext_lazy("Planned end"), required=False, widget=_datetime_widget(),
                                      input_formats=[DATETIME])
    result = forms.CharField(label=gettext_lazy("Implementation result"), required=False, max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    review = forms.CharField(label=gettext_lazy("Post-implementation review"), required=False, max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=2000)


class TemplateForm(AccessibleFormMixin, forms.ModelForm):
    class Meta:
        model = StandardChangeTemplate
        fields = ["name", "code", "risk", "description", "implementation_steps", "rollback_plan", "is_active"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "implementation_steps": forms.Textarea(attrs={"rows": 4}),
            "rollback_plan": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decorate_widgets()

    def _post_clean(self):
        # Validation (uniqueness included) runs in the service, nothing half-checked here.
        pass
