from django import forms
from django.utils.translation import gettext_lazy as _

from regie.core.forms import AccessibleFormMixin
from regie.core.models import User

from . import services
from .choices import TicketChannel, TicketStatus


class TicketCreateForm(AccessibleFormMixin, forms.Form):
    requester = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Requester"), required=False)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=TicketChannel.choices, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        choices = services.requester_choices(user)
        if user.is_provider_staff and user.has_perm("servicedesk.handle_ticket"):
            self.fields["requester"].queryset = choices.select_related("organisation")
            self.fields["requester"].label_from_instance = lambda u: f"{u} ({u.organisation})"
            self.fields["requester"].required = True
            self.fields["channel"].initial = TicketChannel.PHONE
        else:
            del self.fields["requester"]
            del self.fields["channel"]


class TicketUpdateForm(AccessibleFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=TicketChannel.choices)

    def __init__(self, *args, user, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = services.editable_fields(user, ticket)
        for name in list(self.fields):
            if name != "version" and name not in allowed:
                del self.fields[name]
