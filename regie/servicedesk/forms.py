from django import forms
from django.utils.translation import gettext_lazy as _

from regie.catalogue.choices import Level, Priority
from regie.catalogue.models import Service
from regie.core.forms import AccessibleFormMixin
from regie.core.models import Team, User

from . import services
from .choices import ResolutionCode, TicketChannel, TicketKind, TicketStatus

PORTAL_KINDS = [(TicketKind.INCIDENT, _("Something is broken (incident)")), (TicketKind.QUESTION, _("A question"))]


def _optional_choices(choices):
    return [("", "—"), *choices]


class TicketFieldsMixin(AccessibleFormMixin):
    """The classification fields agents see; trimmed for portal users."""

    def setup_fields(self, user, allowed):
        if "service" in self.fields:
            self.fields["service"].queryset = Service.objects.for_user(user).filter(is_active=True)
        if "team" in self.fields:
            self.fields["team"].queryset = Team.objects.for_user(user)
        if "assignee" in self.fields:
            self.fields["assignee"].queryset = User.objects.for_user(user).filter(
                is_active=True, organisation__kind="provider"
            )
        for name in list(self.fields):
            if name not in allowed and name != "version":
                del self.fields[name]

    def classification(self):
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return {k: v for k, v in data.items() if k in self.fields}


class TicketCreateForm(TicketFieldsMixin, forms.Form):
    requester = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Requester"))
    kind = forms.ChoiceField(
        label=_("What is it?"), choices=TicketKind.choices, initial=TicketKind.INCIDENT, required=False
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
    service = forms.ModelChoiceField(queryset=Service.objects.none(), label=_("Service"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=TicketChannel.choices, initial=TicketChannel.PHONE, required=False
    )
    impact = forms.TypedChoiceField(
        label=_("Impact"), choices=Level.choices, coerce=int, initial=Level.LOW, required=False, empty_value=None
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Level.choices, coerce=int, initial=Level.MEDIUM, required=False, empty_value=None
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=_optional_choices(Priority.choices), coerce=int, empty_value=None,
        required=False, help_text=_("Leave empty to follow the impact × urgency matrix."),
    )
    priority_reason = forms.CharField(label=_("Reason for the priority"), max_length=300, required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label=_("Team"), required=False)
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Assignee"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if services.is_agent(user):
            allowed = set(self.fields)
            self.fields["requester"].queryset = services.requester_choices(user).select_related("organisation")
            self.fields["requester"].label_from_instance = lambda u: f"{u} ({u.organisation})"
        else:
            allowed = {"kind", "title", "description", "service"}
            self.fields["kind"].choices = PORTAL_KINDS
        self.setup_fields(user, allowed)
        self.decorate_widgets()


class TicketUpdateForm(TicketFieldsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)
    kind = forms.ChoiceField(label=_("Type"), choices=TicketKind.choices)
    service = forms.ModelChoiceField(queryset=Service.objects.none(), label=_("Service"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=TicketChannel.choices)
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Level.choices, coerce=int)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Level.choices, coerce=int)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int,
        help_text=_("Left unchanged, it follows a new impact or urgency through the matrix."),
    )
    priority_reason = forms.CharField(label=_("Reason for the priority"), max_length=300, required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label=_("Team"), required=False)
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Assignee"), required=False)
    extra_cost = forms.BooleanField(label=_("Extra-cost work"), required=False)
    resolution_code = forms.ChoiceField(
        label=_("Resolution code"), choices=_optional_choices(ResolutionCode.choices), required=False
    )
    resolution_text = forms.CharField(
        label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, user, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.setup_fields(user, services.editable_fields(user, ticket))
        self.decorate_widgets()

    def changes(self):
        """Only what actually differs from the stored call."""
        changed = {}
        for name, value in self.classification().items():
            stored = getattr(self.ticket, name)
            if stored != value and not (stored in (None, "") and value in (None, "")):
                changed[name] = value
        return changed
