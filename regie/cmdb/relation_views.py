"""Pages for relations, impact analysis, the affected items of a call and the impact of a
calamity. The rules live in relations.py and impact.py; these views read forms, call the
services and show the outcome. Whatever the user may not see is a 404."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from regie.core.forms import AccessibleFormMixin
from regie.core.tenancy import is_provider_staff

from . import graph as graphs
from . import impact as impacts
from . import relations as rules
from .choices import RelationKind
from .models import AffectedItem

OUTGOING, INCOMING = "outgoing", "incoming"


class RelationForm(AccessibleFormMixin, forms.Form):
    direction = forms.ChoiceField(
        label=gettext_lazy("Direction"),
        choices=[(OUTGOING, gettext_lazy("this item … the related item")),
                 (INCOMING, gettext_lazy("the related item … this item"))],
        initial=OUTGOING,
    )
    kind = forms.ChoiceField(label=gettext_lazy("Relation"), choices=RelationKind.choices)
    other = forms.CharField(
        label=gettext_lazy("Related item"), max_length=200,
        help_text=gettext_lazy("Asset tag, serial number, exact name or number of the item."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


class AffectedItemForm(AccessibleFormMixin, forms.Form):
    item = forms.CharField(
        label=gettext_lazy("Configuration item"), max_length=200,
        help_text=gettext_lazy("Asset tag, serial number, exact name or number of the item."),
    )


def _item_or_404(user, pk):
    item = rules.visible_items(user).select_related("ci_type", "organisation").filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


def _errors_to_messages(request, exc, labels=None):
    if hasattr(exc, "error_dict"):
        for _name, errors in exc.message_dict.items():
            for error in errors:
                messages.error(request, error)
    else:
        for error in exc.messages:
            messages.error(request, error)


# --- relations of an item -----------------------------------------------------------------


class ItemRelationsView(LoginRequiredMixin, TemplateView):
    template_name = "cmdb/relation_item.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        item = _item_or_404(user, self.kwargs["pk"])
        outgoing, incoming = rules.relations_of(user, item)
        context.update(
            item=item, item_url=graphs.item_url(item.pk), outgoing=outgoing, incoming=incoming,
            hidden_count=rules.hidden_relation_count(user, item),
            can_keep=rules.can_keep_relations(user), form=kwargs.get("form") or RelationForm(),
        )
        return context


@login_required
@require_POST
def add_relation_view(request, pk):
    item = _item_or_404(request.user, pk)
    form = RelationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            other = rules.find_item(request.user, data["other"])
            source, target = (item, other) if data["direction"] == OUTGOING else (other, item)
            relation = rules.add_relation(request.user, source, data["kind"], target, data["note"])
        except ValidationError as exc:
            for name, errors in (exc.message_dict if hasattr(exc, "error_dict") else {"other": exc.messages}).items():
                for error in errors:
                    form.add_error("other" if name in ("source", "target", "__all__") else name, error)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("Relation added: %(relation)s.") % {"relation": relation})
            return redirect("cmdb:item-relations", pk=item.pk)
    view = ItemRelationsView()
    view.setup(request, pk=pk)
    return render(request, view.template_name, view.get_context_data(form=form), status=400)


@login_required
@require_POST
def remove_relation_view(request, pk):
    relation = get_object_or_404(rules.visible_relations(request.user).select_related("source", "target"), pk=pk)
    back = request.POST.get("item")
    back_pk = relation.source_id if str(back) != str(relation.target_id) else relation.target_id
    try:
        rules.remove_relation(request.user, relation)
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("Relation removed: %(relation)s.") % {"relation": relation})
    return redirect("cmdb:item-relations", pk=back_pk)


# --- neighbours, graph and impact of an item -------------------------------------------------


class ItemImpactView(LoginRequiredMixin, TemplateView):
    template_name = "cmdb/impact_item.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        item = _item_or_404(user, self.kwargs["pk"])
        graph = graphs.neighbourhood(user, item)
        title = _("Dependency graph of %(name)s") % {"name": item.name}
        context.update(
            item=item, item_url=graphs.item_url(item.pk),
            svg=graphs.render_svg(graph, title, graphs.describe(graph), id_prefix=f"graph{item.pk}"),
            graph_title=title,
            edges=[(graph.nodes[s], kind, graph.nodes[t]) for s, kind, t in graph.edges],
            outgoing=[(kind, graph.nodes[t]) for s, kind, t in graph.edges if s == item.pk],
            incoming=[(kind, graph.nodes[s]) for s, kind, t in graph.edges if t == item.pk],
            impact=impacts.impact_of_items(user, [item]),
            can_keep=rules.can_keep_relations(user),
        )
        return context


# --- affected items of a call ---------------------------------------------------------------


def _ticket_or_404(user, reference):
    from regie.servicedesk.models import Ticket

    if not user.has_perm("cmdb.view_configurationitem"):
        raise Http404
    ticket = Ticket.objects.for_user(user).select_related("organisation").filter(reference=reference.upper()).first()
    if ticket is None:
        raise Http404
    return ticket


def _affected_context(user, ticket):
    affected = list(
        AffectedItem.objects.for_user(user).filter(ticket=ticket).select_related("item__ci_type", "item__organisation")
    )
    sees_all = is_provider_staff(user)
    shown = [a for a in affected if sees_all or a.item.organisation_id == user.organisation_id]
    return {
        "ticket": ticket,
        "affected": shown,
        "hidden_affected": len(affected) - len(shown),
        "impact": impacts.scoped_impact(user, [a.item_id for a in affected]) if affected else None,
        "can_keep": user.has_perm("cmdb.add_affecteditem") and user.has_perm("cmdb.delete_affecteditem"),
    }


class TicketAffectedView(LoginRequiredMixin, TemplateView):
    template_name = "cmdb/impact_ticket.html"
    panel = False

    def get_template_names(self):
        return ["cmdb/impact_ticket_panel.html" if self.panel else self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ticket = _ticket_or_404(self.request.user, self.kwargs["reference"])
        context.update(_affected_context(self.request.user, ticket))
        context["form"] = kwargs.get("form") or AffectedItemForm()
        return context


@login_required
@require_POST
def add_affected_item_view(request, reference):
    ticket = _ticket_or_404(request.user, reference)
    form = AffectedItemForm(request.POST)
    if form.is_valid():
        try:
            item = rules.find_item(request.user, form.cleaned_data["item"])
            rules.add_affected_item(request.user, ticket, item)
        except ValidationError as exc:
            for errors in (exc.message_dict if hasattr(exc, "error_dict") else {"item": exc.messages}).values():
                for error in errors:
                    form.add_error("item", error)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("%(item)s is linked to this call.") % {"item": item})
            return redirect("cmdb:ticket-affected", reference=ticket.reference)
    view = TicketAffectedView()
    view.setup(request, reference=reference)
    return render(request, view.template_name, view.get_context_data(form=form), status=400)


@login_required
@require_POST
def remove_affected_item_view(request, pk):
    if not request.user.has_perm("cmdb.view_configurationitem"):
        raise Http404
    affected = get_object_or_404(AffectedItem.objects.for_user(request.user).select_related("ticket", "item"), pk=pk)
    # Only items the user may see can be taken off (a participant sees no provider items).
    _item_or_404(request.user, affected.item_id)
    try:
        rules.remove_affected_item(request.user, affected)
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("%(item)s is no longer linked to this call.") % {"item": affected.item})
    return redirect("cmdb:ticket-affected", reference=affected.ticket.reference)


# --- impact of a calamity ---------------------------------------------------------------------


class CalamityImpactView(LoginRequiredMixin, TemplateView):
    template_name = "cmdb/impact_calamity.html"
    panel = False

    def get_template_names(self):
        return ["cmdb/impact_calamity_panel.html" if self.panel else self.template_name]

    def get_context_data(self, **kwargs):
        from regie.servicedesk.calamity_models import Calamity

        context = super().get_context_data(**kwargs)
        user = self.request.user
        if not user.has_perm("cmdb.view_configurationitem"):
            raise Http404
        calamity = Calamity.objects.for_user(user).filter(pk=self.kwargs["pk"]).first()
        if calamity is None:
            raise Http404
        item_ids = sorted(set(
            AffectedItem.all_objects.filter(ticket__calamities=calamity).values_list("item_id", flat=True)
        ))
        impact = impacts.scoped_impact(user, item_ids) if item_ids else None
        context.update(calamity=calamity, start_count=len(item_ids), impact=impact,
                       calamity_url=reverse("calamity:detail", args=[calamity.pk]))
        return context
