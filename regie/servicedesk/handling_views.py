"""Hand-over between lines and hierarchical escalation, from the call's page."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from regie.core.forms import AccessibleFormMixin
from regie.core.models import Team

from . import escalation as rules
from .models import Escalation, EscalationStep, Ticket
from .page_actions import apply_form_action


class TransferForm(AccessibleFormMixin, forms.Form):
    to_team = forms.ModelChoiceField(queryset=Team.objects.none(), label=gettext_lazy("To team"))
    note = forms.CharField(label=gettext_lazy("Hand-over note"), widget=forms.Textarea(attrs={"rows": 3}))
    supplier_reference = forms.CharField(
        label=gettext_lazy("Supplier's reference"), max_length=100, required=False,
        help_text=gettext_lazy("Required when handing over to a supplier (3rd line)."),
    )
    contract_terms = forms.CharField(label=gettext_lazy("Warranty or maintenance terms"), max_length=300,
                                     required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_team"].queryset = Team.objects.for_user(user).select_related("organisation")
        self.fields["to_team"].label_from_instance = lambda team: f"{team} ({team.get_line_display()})"
        self.decorate_widgets()


class EscalationForm(AccessibleFormMixin, forms.Form):
    step = forms.TypedChoiceField(label=gettext_lazy("Step"), choices=EscalationStep.choices, coerce=int)
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class OutcomeForm(AccessibleFormMixin, forms.Form):
    outcome = forms.CharField(label=gettext_lazy("Outcome"), widget=forms.Textarea(attrs={"rows": 2}))


def _ticket(request, reference):
    return get_object_or_404(Ticket.objects.for_user(request.user).select_related("requester"), reference=reference)


def _apply(request, ticket, form, action):
    apply_form_action(request, form, action, None)
    return redirect(ticket)


@login_required
@require_POST
def transfer_view(request, reference):
    ticket = _ticket(request, reference)
    form = TransferForm(request.POST, user=request.user)

    def act(data):
        rules.transfer(request.user, ticket, **data)
        messages.success(request, _("The call has been handed over to %(team)s.") % {"team": data["to_team"]})

    return _apply(request, ticket, form, act)


@login_required
@require_POST
def escalate_view(request, reference):
    ticket = _ticket(request, reference)

    def act(data):
        rules.escalate(request.user, ticket, step=data["step"], reason=data["reason"])
        messages.success(request, _("The call has been escalated."))

    return _apply(request, ticket, EscalationForm(request.POST), act)


@login_required
@require_POST
def escalation_outcome_view(request, reference, pk):
    ticket = _ticket(request, reference)
    escalation = get_object_or_404(Escalation, pk=pk, ticket=ticket)

    def act(data):
        rules.close_escalation(request.user, escalation, outcome=data["outcome"])
        messages.success(request, _("The outcome has been recorded."))

    return _apply(request, ticket, OutcomeForm(request.POST), act)


def handling_context(request, ticket):
    """What the call page shows and offers for lines and escalation."""
    user = request.user
    next_step = next((s for s in EscalationStep if s not in {e.step for e in ticket.escalations.all()}), None)
    can_escalate = bool(ticket.is_open and next_step and rules.may_escalate(user, ticket, next_step))
    escalation_form = EscalationForm(initial={"step": next_step}) if can_escalate else None
    if escalation_form is not None:
        escalation_form.fields["step"].choices = [(next_step.value, next_step.label)]
    transfer_form = supplier_terms = None
    if rules.services.is_agent(user) and ticket.is_open:
        from regie.cmdb.contracts import terms_for_ticket, terms_text

        # The maintenance/warranty contracts of the call's affected items: what the supplier promised.
        supplier_terms = terms_for_ticket(ticket)
        transfer_form = TransferForm(user=user, initial={"contract_terms": terms_text(supplier_terms)})
    return {
        "transfers": ticket.transfers.select_related("from_team", "to_team", "transferred_by"),
        "escalations": ticket.escalations.select_related("raised_by", "closed_by"),
        "transfer_form": transfer_form,
        "supplier_terms": supplier_terms,
        "escalation_form": escalation_form,
        "outcome_form": OutcomeForm() if user.is_provider_staff else None,
    }
