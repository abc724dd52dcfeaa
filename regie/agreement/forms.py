from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ChangeProposal


class ProposalForm(forms.ModelForm):
    class Meta:
        model = ChangeProposal
        fields = ["title", "changes", "reason", "proposed_text"]
        widgets = {
            "title": forms.TextInput(attrs={"class": "form-control"}),
            "changes": forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
            "reason": forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
            "proposed_text": forms.Textarea(attrs={"rows": 8, "class": "form-control"}),
        }


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason for declining"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}))


class DocumentForm(forms.Form):
    document = forms.FileField(label=_("Signed document (PDF)"))


class SignatureForm(forms.Form):
    signed_on = forms.DateField(label=_("Signed on"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
