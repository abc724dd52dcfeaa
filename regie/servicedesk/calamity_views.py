"""Pages of the calamity procedure. The rules live in calamity.py; these only read forms,
call the services and show the outcome. Every page 404s for whoever may not see the
calamity (participants' users except the affected participants' contacts, read only)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from regie.core.forms import AccessibleFormMixin
from regie.core.generic import ScopedDetailView, ScopedListView
from regie.core.models import User

from . import calamity as rules
from .calamity_models import (
    Calamity,
    CalamityKind,
    CalamityPhase,
    CalamityStatus,
    CommunicationChannel,
    DecisionType,
    TriageOutcome,
    TriageResult,
)
from .models import Ticket
from .page_actions import apply_form_action
from .services import is_agent


def _require_agent(request):
    # Not 403: a participant's user must not even learn these pages exist.
    if not is_agent(request.user):
        raise Http404


def _staff_choices():
    return User.objects.unrestricted().filter(organisation__kind="provider", is_active=True).order_by(
        "last_name", "first_name", "username"
    )


class DeclareForm(AccessibleFormMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CalamityKind.choices)
    description = forms.CharField(label=gettext_lazy("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    affected_participants = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Affected participants"), queryset=rules.organisations_for_choice(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    crisis_team = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Crisis team"), queryset=User.objects.none(), required=False,
        help_text=gettext_lazy("You are added yourself."),
    )
    update_interval_minutes = forms.IntegerField(
        label=gettext_lazy("Update participants every (minutes)"), min_value=5, max_value=24 * 60, initial=60,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["affected_participants"].queryset = rules.organisations_for_choice()
        self.fields["crisis_team"].queryset = _staff_choices()
        self.fields["affected_participants"].widget.attrs["class"] = "form-check-input"
        self.decorate_widgets()


class DecisionForm(AccessibleFormMixin, forms.Form):
    decision_type = forms.ChoiceField(label=gettext_lazy("Type"), choices=DecisionType.choices)
    decision = forms.CharField(label=gettext_lazy("Decision"), widget=forms.Textarea(attrs={"rows": 2}))


class CommunicationForm(AccessibleFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(label=gettext_lazy("Participant"), queryset=None)
    contacts = forms.CharField(label=gettext_lazy("Contacts"), max_length=500, required=False)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=CommunicationChannel.choices)
    message = forms.CharField(label=gettext_lazy("Message"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, calamity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = calamity.affected_participants.order_by("name")
        self.decorate_widgets()


class StatusForm(AccessibleFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[(value, label) for value, label in CalamityStatus.choices if value != CalamityStatus.CLOSED],
    )


class LinkIncidentForm(AccessibleFormMixin, forms.Form):
    reference = forms.CharField(label=gettext_lazy("Call reference"), max_length=20)


class ParticipantForm(AccessibleFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(label=gettext_lazy("Participant"), queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = rules.organisations_for_choice()
        self.decorate_widgets()


class CrisisTeamForm(AccessibleFormMixin, forms.Form):
    member = forms.ModelChoiceField(label=gettext_lazy("Crisis team member"), queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = _staff_choices()
        self.decorate_widgets()


class PhaseForm(AccessibleFormMixin, forms.Form):
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(AccessibleFormMixin, forms.Form):
    evaluation_what_happened = forms.CharField(label=gettext_lazy("What happened"),
                                               widget=forms.Textarea(attrs={"rows": 3}))
    evaluation_cause = forms.CharField(label=gettext_lazy("Cause"), widget=forms.Textarea(attrs={"rows": 3}))
    evaluation_went_well = forms.CharField(label=gettext_lazy("What went well"),
                                           widget=forms.Textarea(attrs={"rows": 3}))
    evaluation_improvements = forms.CharField(label=gettext_lazy("Improvements"),
                                              widget=forms.Textarea(attrs={"rows": 3}))


# --- triage from a call -----------------------------------------------------------------------

def _answers_from(data):
    return {key.removeprefix("answer-"): value for key, value in data.items() if key.startswith("answer-")}


@login_required
def triage_view(request, reference):
    """Step by step through the decision tree: each POST adds an answer; once an outcome is
    reached, "record" keeps it on the call (and a calamity goes on to the declaration)."""
    _require_agent(request)
    ticket = get_object_or_404(Ticket.objects.for_user(request.user), reference=reference)
    answers = _answers_from(request.POST) if request.method == "POST" else {}
    error, status = None, 200
    try:
        path, next_node, outcome = rules.walk_decision_tree(answers)
    except ValidationError as exc:
        error, status = " ".join(exc.messages), 400
        path, next_node, outcome = [], None, None
    if error is None and request.method == "POST" and request.POST.get("record"):
        try:
            result = rules.triage(request.user, ticket, {step["key"]: step["answer"] for step in path})
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 400
        else:
            if result.outcome == TriageOutcome.CALAMITY:
                messages.warning(request, _("The decision tree says: calamity. Declare it now."))
                return redirect(f"{_declare_url()}?ticket={ticket.reference}&triage={result.pk}")
            messages.success(request, _("The decision tree says: incident. Handle it as a regular call."))
            return redirect(ticket)
    context = {
        "ticket": ticket, "path": path, "next_node": next_node, "outcome": outcome, "error": error,
        "previous": ticket.triages.select_related("decided_by")[:5],
    }
    return render(request, "servicedesk/calamity_triage.html", context, status=status)


def _declare_url():
    from django.urls import reverse

    return reverse("calamity:declare")


# --- list, detail, declaration ---------------------------------------------------------------

class CalamityListView(ScopedListView):
    model = Calamity
    template_name = "servicedesk/calamity_list.html"
    orderings = {
        "declared": (gettext_lazy("Declared, newest first"), ["-declared_at", "-id"]),
        "oldest": (gettext_lazy("Declared, oldest first"), ["declared_at", "id"]),
    }
    default_ordering = "declared"
    select_related = ("declared_by",)

    def get(self, request, *args, **kwargs):
        # Only provider staff and participants' contacts have calamities to see at all.
        if not is_agent(request.user) and not (
            request.user.is_authenticated and request.user.has_role(*rules.PARTICIPANT_CONTACT_ROLES)
        ):
            raise Http404
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        status = self.request.GET.get("status")
        if status == "open":
            queryset = queryset.exclude(status=CalamityStatus.CLOSED)
        elif status in CalamityStatus.values:
            queryset = queryset.filter(status=status)
        return queryset


class CalamityDetailView(ScopedDetailView):
    model = Calamity
    template_name = "servicedesk/calamity_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        calamity = self.get_object()
        staff = is_agent(self.request.user)
        communications = calamity.communications.select_related("organisation", "sent_by")
        if not staff:
            # A participant reads only what was told to them; never the decision log or other municipalities' calls.
            communications = communications.filter(organisation_id=self.request.user.organisation_id)
        phases = list(calamity.phases.select_related("completed_by"))
        next_phase = next((phase for phase in phases if phase.completed_at is None), None)
        decisions = list(calamity.decisions.select_related("decided_by")) if staff else []
        context.update(
            staff=staff,
            communications=communications,
            decisions=decisions,
            phases=phases,
            next_phase=next_phase,
            incidents=rules.linked_incidents(calamity, self.request.user) if staff else [],
            participants=calamity.affected_participants.order_by("name"),
            crisis_team=calamity.crisis_team.order_by("last_name", "first_name") if staff else [],
            next_update_at=rules.next_update_at(calamity),
            timeline=_timeline(calamity, decisions, communications, phases),
        )
        if staff and calamity.is_open:
            context.update(
                status_form=StatusForm(initial={"status": calamity.status}),
                decision_form=DecisionForm(),
                communication_form=CommunicationForm(calamity=calamity),
                link_form=LinkIncidentForm(),
                participant_form=ParticipantForm(),
                crisis_team_form=CrisisTeamForm(),
                phase_form=PhaseForm(),
            )
        return context


def _timeline(calamity, decisions, communications, phases):
    """Everything that happened, oldest first: (when, kind, text, flagged)."""
    events = [(calamity.declared_at, _("Declared"), f"{calamity.declared_by}", False)]
    events += [(d.decided_at, d.get_decision_type_display(), f"{d.decision} ({d.decided_by})", d.is_flagged)
               for d in decisions]
    events += [(c.sent_at, _("Communication"), f"{c.organisation}: {c.message}", False) for c in communications]
    events += [(p.completed_at, _("Phase completed"), f"{p.get_phase_display()} ({p.completed_by})", False)
               for p in phases if p.completed_at]
    if calamity.closed_at:
        events.append((calamity.closed_at, _("Closed"), f"{calamity.closed_by}", False))
    return sorted(events, key=lambda event: event[0])


@login_required
def declare_view(request):
    _require_agent(request)
    ticket = triage_result = None
    reference = request.POST.get("ticket") or request.GET.get("ticket")
    if reference:
        ticket = get_object_or_404(Ticket.objects.for_user(request.user), reference=reference)
        triage_id = request.POST.get("triage") or request.GET.get("triage")
        if triage_id:
            if not str(triage_id).isdigit():
                raise Http404
            triage_result = get_object_or_404(TriageResult, pk=triage_id, ticket=ticket)
    initial = {"title": ticket.title} if ticket else {}
    form = DeclareForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                calamity = rules.declare(request.user, ticket=ticket, triage_result=triage_result, **form.cleaned_data)
            except ValidationError as exc:
                _errors_onto(form, exc)
            else:
                messages.success(request, _("The calamity has been declared."))
                return redirect(calamity)
        status = 400
    return render(request, "servicedesk/calamity_form.html", {
        "form": form, "ticket": ticket, "triage": triage_result,
        "heading": _("Declare a calamity"),
    }, status=status)


def _errors_onto(form, exc):
    for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


# --- actions on a calamity (POST, provider staff) ---------------------------------------------

def _calamity_for_action(request, pk):
    _require_agent(request)
    return get_object_or_404(Calamity.objects.for_user(request.user), pk=pk)


def _apply(request, calamity, form, action, success):
    apply_form_action(request, form, action, success)
    return redirect(calamity)


@login_required
@require_POST
def status_view(request, pk):
    calamity = _calamity_for_action(request, pk)
    return _apply(request, calamity, StatusForm(request.POST),
                  lambda data: rules.set_status(request.user, calamity, data["status"]),
                  _("The status has been changed."))


@login_required
@require_POST
def link_incident_view(request, pk):
    calamity = _calamity_for_action(request, pk)

    def act(data):
        # Provider staff see every participant's calls: linking crosses organisations by design.
        ticket = Ticket.objects.for_user(request.user).filter(reference=data["reference"].strip()).first()
        if ticket is None:
            raise ValidationError(_("There is no call with that reference."))
        rules.link_incident(request.user, calamity, ticket)

    return _apply(request, calamity, LinkIncidentForm(request.POST), act, _("The call has been linked."))


@login_required
@require_POST
def add_participant_view(request, pk):
    calamity = _calamity_for_action(request, pk)
    return _apply(request, calamity, ParticipantForm(request.POST),
                  lambda data: rules.add_participant(request.user, calamity, data["organisation"]),
                  _("The participant has been added."))


@login_required
@require_POST
def add_crisis_team_view(request, pk):
    calamity = _calamity_for_action(request, pk)
    return _apply(request, calamity, CrisisTeamForm(request.POST),
                  lambda data: rules.add_crisis_team_member(request.user, calamity, data["member"]),
                  _("The crisis team member has been added."))


@login_required
@require_POST
def add_decision_view(request, pk):
    calamity = _calamity_for_action(request, pk)
    return _apply(request, calamity, DecisionForm(request.POST),
                  lambda data: rules.add_decision(request.user, calamity, **data), _("The decision has been logged."))


@login_required
@require_POST
def add_communication_view(request, pk):
    calamity = _calamity_for_action(request, pk)
    return _apply(request, calamity, CommunicationForm(request.POST, calamity=calamity),
                  lambda data: rules.add_communication(request.user, calamity, **data),
                  _("The communication has been logged."))


@login_required
@require_POST
def complete_phase_view(request, pk, phase_pk):
    calamity = _calamity_for_action(request, pk)
    phase = get_object_or_404(CalamityPhase, pk=phase_pk, calamity=calamity)
    return _apply(request, calamity, PhaseForm(request.POST),
                  lambda data: rules.complete_phase(request.user, phase, notes=data["notes"]),
                  _("The phase has been completed."))


@login_required
def close_view(request, pk):
    calamity = _calamity_for_action(request, pk)
    if not calamity.is_open:
        return redirect(calamity)
    form = CloseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                rules.close(request.user, calamity, **form.cleaned_data)
            except ValidationError as exc:
                _errors_onto(form, exc)
            else:
                messages.success(request, _("The calamity has been closed."))
                return redirect(calamity)
        status = 400
    return render(request, "servicedesk/calamity_form.html", {
        "form": form, "calamity": calamity, "heading": _("Close with an evaluation"),
    }, status=status)
