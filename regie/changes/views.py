"""Change pages: list (filters, CSV), calendar, detail with impact, conflicts and the CAB's
decisions, create/edit (drafts) and the status and decision actions. Participants read their
own organisation's changes; provider staff all; another municipality's change is a 404."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from regie.cmdb.impact import analyse
from regie.cmdb.models import ConfigurationItem
from regie.core.forms import add_service_errors
from regie.core.generic import ScopedDetailView, ScopedListView
from regie.core.models import Organisation
from regie.servicedesk.models import Ticket

from . import services
from .choices import ChangeStatus
from .filters import ChangeFilterSet
from .forms import ChangeForm, DecisionForm, TemplateForm, TransitionForm
from .models import Change, ChangeItem, StandardChangeTemplate


def _items_text(change):
    return ", ".join(link.item.asset_tag or link.item.name for link in change.change_items.all())


class ChangeListView(ScopedListView):
    model = Change
    view_permission = services.VIEW_PERMISSION
    template_name = "changes/change_list.html"
    filterset_class = ChangeFilterSet
    select_related = ("organisation", "owner")
    orderings = {
        "newest": (gettext_lazy("Newest first"), ["-created_at", "-id"]),
        "window": (gettext_lazy("Planned start"), ["planned_start", "id"]),
    }
    default_ordering = "newest"
    export_columns = (
        (gettext_lazy("Reference"), "reference"), (gettext_lazy("Title"), "title"), (gettext_lazy("Kind"), "kind"),
        (gettext_lazy("Status"), "status"), (gettext_lazy("Organisation"), "organisation.name"),
        (gettext_lazy("Risk"), "risk"), (gettext_lazy("Owner"), "owner.username"),
        (gettext_lazy("Planned start"), "planned_start"), (gettext_lazy("Planned end"), "planned_end"),
        (gettext_lazy("Configuration items"), _items_text),
    )
    export_name = "changes"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.GET.get("export"):
            queryset = queryset.prefetch_related("change_items__item")
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_keep"] = services.may_keep(self.request.user)
        return context


def _month(request):
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in request.GET.get("month", "").split("-"))
        datetime.date(year, month, 1)
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        year, month = today.year, today.month
    return year, month


@login_required
def calendar_view(request):
    user = request.user
    queryset = Change.objects.for_user(user) if services.may_view(user) else Change.objects.none()
    organisations = Organisation.objects.for_user(user).order_by("name")
    organisation = None
    if request.GET.get("organisation", "").isdigit():
        organisation = organisations.filter(pk=request.GET["organisation"]).first()
        if organisation is not None:
            queryset = queryset.filter(organisation=organisation)
    year, month = _month(request)
    start, end = services.month_bounds(year, month)
    changes = services.window_changes(queryset, start, end)
    previous = (datetime.date(year, month, 1) - datetime.timedelta(days=1))
    following = datetime.date(year, month, 28) + datetime.timedelta(days=4)
    query = f"&organisation={organisation.pk}" if organisation else ""
    return render(request, "changes/calendar.html", {
        "weeks": services.month_grid(year, month, changes),
        "month": datetime.date(year, month, 1),
        "previous_url": f"?month={previous:%Y-%m}{query}",
        "next_url": f"?month={following:%Y-%m}{query}",
        "organisations": organisations,
        "organisation": organisation,
        "conflicts": services.conflict_pairs(changes),
        "changes": changes,
        "month_value": f"{year:04d}-{month:02d}",
    })


class ChangeDetailView(ScopedDetailView):
    model = Change
    view_permission = services.VIEW_PERMISSION
    template_name = "changes/change_detail.html"

    def get_scoped_queryset(self):
        return super().get_scoped_queryset().select_related("organisation", "owner", "requester", "template",
                                                            "ticket")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        change = context["object"]
        user = self.request.user
        links = list(ChangeItem.objects.filter(change=change).select_related("item", "item__ci_type",
                                                                                "item__organisation"))
        context["links"] = links
        visible_item_ids = set(ConfigurationItem.objects.for_user(user).filter(
            pk__in=[link.item_id for link in links]).values_list("pk", flat=True))
        context["visible_item_ids"] = visible_item_ids
        if change.impact_snapshot:
            context["snapshot"] = services.scoped_snapshot(change.impact_snapshot, user)
        else:
            context["impact"] = analyse([link.item_id for link in links]).for_user(user)
        conflicts, hidden = services.visible_conflicts(user, services.conflicts_of(change))
        context["conflicts"], context["hidden_conflicts"] = conflicts, hidden
        context["approvals"] = list(change.approvals.select_related("approver"))
        context["required_approvals"] = services.required_approvals()
        context["may_keep"] = services.may_keep(user)
        context["may_edit"] = context["may_keep"] and change.status == ChangeStatus.DRAFT
        context["may_decide"] = services.may_decide(user, change)
        context["steps"] = [(status, ChangeStatus(status).label) for status in services.next_steps(user, change)]
        context.setdefault("transition_form", TransitionForm(initial={
            "planned_start": change.planned_start and timezone.localtime(change.planned_start),
            "planned_end": change.planned_end and timezone.localtime(change.planned_end),
        }))
        context.setdefault("decision_form", DecisionForm())
        return context


def _keeper_or_404(request):
    if not services.may_keep(request.user):
        raise Http404


def _warn_conflicts(request, change):
    conflicts = list(services.conflicts_of(change))
    if conflicts:
        shown, hidden = services.visible_conflicts(request.user, conflicts)
        names = ", ".join(c.reference for c in shown) or str(hidden)
        messages.warning(request, _("Warning: the window overlaps other changes of the same items: %(refs)s.") % {
            "refs": names})


def _edit(request, change, initial=None):
    user = request.user
    form = ChangeForm(request.POST or None, instance=change, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_change(user, change, form.values(), items=form.cleaned_data["items"])
        except ValidationError as exc:
            add_service_errors(form, exc, aliases={"ticket": "ticket_reference"})
        else:
            messages.success(request, _("Change %(ref)s saved.") % {"ref": saved.reference})
            _warn_conflicts(request, saved)
            return redirect(saved)
        form.decorate_widgets()
    conflicts, hidden = [], 0
    if change is not None:
        conflicts, hidden = services.visible_conflicts(user, services.conflicts_of(change))
    return render(request, "changes/change_form.html", {
        "form": form, "object": change, "conflicts": conflicts, "hidden_conflicts": hidden,
    })


@login_required
def change_create(request):
    _keeper_or_404(request)
    initial = None
    reference = request.GET.get("call", "").strip()
    if reference and request.method == "GET":
        # "Raise a change" on a call: start from the call (an unknown reference starts empty).
        ticket = Ticket.objects.for_user(request.user).filter(reference=reference.upper()).first()
        if ticket is not None:
            initial = services.draft_from_ticket(request.user, ticket)
    return _edit(request, None, initial)


@login_required
def ticket_changes_panel(request, reference):
    """The changes raised from a call, shown on the call's page (loaded into its card)."""
    if not services.may_view(request.user):
        raise Http404
    ticket = get_object_or_404(Ticket.objects.for_user(request.user), reference=reference.upper())
    changes = list(services.changes_of_ticket(request.user, ticket).order_by("-created_at", "-id")[:20])
    return render(request, "changes/ticket_panel.html", {
        "ticket": ticket, "changes": changes, "may_keep": services.may_keep(request.user),
    })


@login_required
def change_update(request, pk):
    _keeper_or_404(request)
    change = get_object_or_404(Change.objects.for_user(request.user), pk=pk)
    if change.status != ChangeStatus.DRAFT:
        messages.error(request, _("Only a draft change can be edited."))
        return redirect(change)
    return _edit(request, change)


def _scoped_change(request, pk):
    if not services.may_view(request.user):
        raise Http404
    return get_object_or_404(Change.objects.for_user(request.user), pk=pk)


def _detail_with_errors(request, change, **forms_):
    view = ChangeDetailView()
    view.setup(request, pk=change.pk)
    context = view.get_context_data(pk=change.pk, **forms_)
    return render(request, view.template_name, context, status=400)


@login_required
@require_POST
def change_transition(request, pk):
    change = _scoped_change(request, pk)
    _keeper_or_404(request)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _detail_with_errors(request, change, transition_form=form)
    data = form.cleaned_data
    try:
        updated = services.transition(
            request.user, change, data["status"], planned_start=data["planned_start"],
            planned_end=data["planned_end"], result=data["result"], review=data["review"], reason=data["reason"],
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(change)
    messages.success(request, _("Change %(ref)s is now %(status)s.") % {
        "ref": updated.reference, "status": updated.get_status_display()})
    return redirect(updated)


@login_required
@require_POST
def change_decision(request, pk):
    change = _scoped_change(request, pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    approve = request.POST.get("decision") == "approve"
    try:
        updated = services.decide(request.user, change, approve, form.cleaned_data.get("comment", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(change)
    messages.success(request, _("Your decision on %(ref)s is recorded.") % {"ref": updated.reference})
    return redirect(updated)


# --- the catalogue of standard changes ---------------------------------------------------------

class TemplateListView(ScopedListView):
    model = StandardChangeTemplate
    view_permission = services.VIEW_PERMISSION
    template_name = "changes/template_list.html"
    orderings = {"name": (gettext_lazy("Name"), ["name", "id"])}
    default_ordering = "name"
    page_size = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.GET.get("inactive") != "1":
            queryset = queryset.filter(is_active=True)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_keep_templates"] = services.may_keep_templates(self.request.user)
        context["may_keep"] = services.may_keep(self.request.user)
        return context


def _edit_template(request, template):
    if not services.may_keep_templates(request.user):
        raise Http404
    form = TemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data.get(name) for name in TemplateForm.Meta.fields}
        try:
            saved = services.save_template(request.user, template, values)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Standard change “%(name)s” saved.") % {"name": saved.name})
            return redirect("changes:template-list")
    return render(request, "changes/template_form.html", {"form": form, "object": template},
                  status=400 if request.method == "POST" else 200)


@login_required
def template_create(request):
    return _edit_template(request, None)


@login_required
def template_update(request, pk):
    if not services.may_keep_templates(request.user):
        raise Http404
    return _edit_template(request, get_object_or_404(StandardChangeTemplate.objects.for_user(request.user), pk=pk))
