"""Pages of the item register: the list (filters, keyset pages, CSV/Excel export), an item's
page (fields, type-specific attributes, ownership, contracts, standard flag, the panels of
the other CMDB parts and the timeline), registering and editing items, lifecycle steps,
item types with their attribute declarations, and the standards catalogue.

The rules live in services.py; whatever the user may not see or change is a 404."""

import datetime
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from regie.core.generic import ScopedDetailView, ScopedListView
from regie.core.tenancy import is_provider_staff

from . import overview as figures
from . import services
from .choices import CIStatus, ModelApproval
from .filtersets import ItemFilterSet, ModelFilterSet
from .forms import ItemForm, ItemTypeChoiceForm, ModelDecisionForm, ModelProposalForm, TypeSchemaForm
from .models import ConfigurationItem, ConfigurationItemModel, ConfigurationItemType
from .panels import panels_for
from .timeline import InvalidTimelineCursor, timeline_page

WARRANTY_SOON = datetime.timedelta(days=90)
ITEM_SELECT = ("ci_type", "model", "organisation", "location", "assigned_to", "supplier", "maintenance_contract",
               "framework_contract")


@login_required
def overview(request):
    """The CMDB at a glance: what needs attention and what the register holds (cmdb.overview)."""
    if not request.user.has_perm(services.VIEW_PERMISSION):
        raise Http404
    signals = figures.attention(request.user)
    return render(request, "cmdb/overview.html", {
        "signals": signals,
        "needs_attention": [signal for signal in signals if signal.count],
        "composition": figures.composition(request.user),
        "may_add": services.may_add(request.user),
    })


def _standard_text(item):
    flag = item.is_standard
    return "" if flag is None else (_("yes") if flag else _("no"))


# --- list ---------------------------------------------------------------------------------------

class ItemListView(ScopedListView):
    """The register. Reusable: subclass it for another template or more export columns
    (the Excel export `?export=xlsx` comes from ScopedListView with the same columns)."""

    model = ConfigurationItem
    view_permission = services.VIEW_PERMISSION
    template_name = "cmdb/item_list.html"
    filterset_class = ItemFilterSet
    orderings = {
        "name": (gettext_lazy("Name"), ["name", "id"]),
        "changed": (gettext_lazy("Recently changed"), ["-updated_at", "-id"]),
    }
    default_ordering = "name"
    page_size = 50
    select_related = ("ci_type", "model", "organisation", "location")
    export_name = "configuratie-items"
    export_columns = (
        (gettext_lazy("Name"), "name"),
        (gettext_lazy("Type"), "ci_type.name"),
        (gettext_lazy("Owner"), "organisation.name"),
        (gettext_lazy("Status"), "status"),
        (gettext_lazy("Brand"), "model.manufacturer"),
        (gettext_lazy("Model"), "model.name"),
        (gettext_lazy("Standard"), _standard_text),
        (gettext_lazy("Serial number"), "serial_number"),
        (gettext_lazy("Asset tag"), "asset_tag"),
        (gettext_lazy("Location"), "location.name"),
        (gettext_lazy("Purchase date"), "purchase_date"),
        (gettext_lazy("Price"), "price"),
        (gettext_lazy("Warranty end"), "warranty_end"),
        (gettext_lazy("Notes"), "notes"),
    )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_add"] = services.may_add(self.request.user)
        return context


# --- one item -----------------------------------------------------------------------------------

def _item_or_404(user, pk, select=ITEM_SELECT):
    item = services.visible_items(user).select_related(*select).filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


class ItemDetailView(ScopedDetailView):
    model = ConfigurationItem
    view_permission = services.VIEW_PERMISSION
    template_name = "cmdb/item_detail.html"
    context_object_name = "item"

    def get_scoped_queryset(self):
        return super().get_scoped_queryset().select_related(*ITEM_SELECT)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = context["item"]
        user = self.request.user
        may_change = services.may_change(user, item)
        today = timezone.localdate()
        steps = [(value, label) for value, label in CIStatus.choices
                 if value != item.status and value in services.allowed_statuses(item.status)] if may_change else []
        context.update(
            attributes=services.attribute_rows(item),
            panels=panels_for(self.request, item),
            may_change=may_change,
            may_delete=services.may_delete(user, item),
            status_steps=steps,
            standard=item.is_standard,
            warranty_soon=bool(item.warranty_end and today <= item.warranty_end <= today + WARRANTY_SOON),
        )
        return context


class ItemTimelineView(ScopedDetailView):
    model = ConfigurationItem
    view_permission = services.VIEW_PERMISSION
    template_name = "cmdb/item_timeline.html"
    context_object_name = "item"

    def get_scoped_queryset(self):
        return super().get_scoped_queryset().select_related("ci_type")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            page = timeline_page(self.request.user, context["item"], self.request.GET.get("cursor"), page_size=25)
        except InvalidTimelineCursor:
            page = timeline_page(self.request.user, context["item"], None, page_size=25)
            context["cursor_error"] = _("That page link is no longer valid; showing the newest entries.")
        context.update(entries=page.items, page=page, is_first=not self.request.GET.get("cursor"))
        return context


# --- register, edit, lifecycle --------------------------------------------------------------------

def _render_form(request, form, item, ci_type, status=200):
    return render(request, "cmdb/item_form.html", {"form": form, "item": item, "ci_type": ci_type}, status=status)


@login_required
def item_create(request):
    user = request.user
    if not services.may_add(user):
        raise Http404
    code = request.GET.get("type") or request.POST.get("type")
    ci_type = ConfigurationItemType.objects.unrestricted().filter(code=code, is_active=True).first() if code else None
    if ci_type is None:
        chooser = ItemTypeChoiceForm(request.GET if code else None)
        if code:
            chooser.is_valid()
        return render(request, "cmdb/item_type_choice.html", {"form": chooser}, status=400 if code else 200)
    form = ItemForm(request.POST or None, user=user, ci_type=ci_type)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.save_item(user, None, form.values())
        except ValidationError as exc:
            form.apply_errors(exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("Configuration item %(name)s registered.") % {"name": item.name})
            return redirect(item)
    return _render_form(request, form, None, ci_type, status=400 if request.method == "POST" else 200)


@login_required
def item_update(request, pk):
    user = request.user
    item = _item_or_404(user, pk)
    if not services.may_change(user, item):
        raise Http404
    form = ItemForm(request.POST or None, user=user, ci_type=item.ci_type, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_item(user, item, form.values())
        except ValidationError as exc:
            form.apply_errors(exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("Configuration item %(name)s saved.") % {"name": item.name})
            return redirect(item)
    return _render_form(request, form, item, item.ci_type, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def item_status(request, pk):
    user = request.user
    item = _item_or_404(user, pk)
    if not services.may_change(user, item):
        raise Http404
    try:
        services.change_status(user, item, request.POST.get("status", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except PermissionDenied as exc:
        raise Http404 from exc
    else:
        messages.success(request, _("%(name)s is now “%(status)s”.")
                         % {"name": item.name, "status": item.get_status_display()})
    return redirect(item)


@login_required
@require_POST
def item_delete(request, pk):
    user = request.user
    item = _item_or_404(user, pk)
    if not services.may_delete(user, item):
        raise Http404
    name = item.name
    try:
        services.delete_item(user, item)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(item)
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("Configuration item %(name)s deleted.") % {"name": name})
    return redirect("cmdb:item-list")


# --- item types -----------------------------------------------------------------------------------

class ItemTypeListView(ScopedListView):
    model = ConfigurationItemType
    view_permission = services.VIEW_PERMISSION
    template_name = "cmdb/item_type_list.html"
    orderings = {"name": (gettext_lazy("Name"), ["name", "id"])}
    default_ordering = "name"
    page_size = 100

    def get_queryset(self):
        user = self.request.user
        items = Q(items__organisation_id=user.organisation_id) if not is_provider_staff(user) else Q()
        return super().get_queryset().annotate(item_count=Count("items", filter=items, distinct=True))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_edit"] = services.may_edit_types(self.request.user)
        return context


@login_required
def item_type_update(request, pk):
    user = request.user
    if not services.may_edit_types(user):
        raise Http404
    ci_type = get_object_or_404(ConfigurationItemType.objects.for_user(user), pk=pk)
    initial = {"attribute_schema": json.dumps(ci_type.attribute_schema, indent=2, ensure_ascii=False)}
    form = TypeSchemaForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_type_schema(user, ci_type, form.cleaned_data["attribute_schema"])
        except ValidationError as exc:
            form.add_error("attribute_schema", exc.messages)
        else:
            messages.success(request, _("The attributes of %(type)s are saved.") % {"type": ci_type.name})
            return redirect(f"{reverse('cmdb:item-type-list')}#type-{ci_type.code}")
    return render(request, "cmdb/item_type_form.html", {"form": form, "ci_type": ci_type},
                  status=400 if request.method == "POST" else 200)


# --- standards catalogue --------------------------------------------------------------------------

class ModelListView(ScopedListView):
    model = ConfigurationItemModel
    view_permission = services.VIEW_PERMISSION
    template_name = "cmdb/item_model_list.html"
    filterset_class = ModelFilterSet
    orderings = {"name": (gettext_lazy("Brand and model"), ["manufacturer", "name", "id"])}
    default_ordering = "name"
    page_size = 50
    select_related = ("ci_type", "approved_by")
    export_name = "standaarden"
    export_columns = (
        (gettext_lazy("Type"), "ci_type.name"),
        (gettext_lazy("Brand"), "manufacturer"),
        (gettext_lazy("Model"), "name"),
        (gettext_lazy("Approval"), "approval"),
        (gettext_lazy("Standard until"), "standard_until"),
        (gettext_lazy("Standard today"), lambda model: _("yes") if model.is_standard else _("no")),
    )

    def get_queryset(self):
        user = self.request.user
        mine = Q(items__organisation_id=user.organisation_id) if not is_provider_staff(user) else Q()
        return super().get_queryset().annotate(item_count=Count("items", filter=mine, distinct=True))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(may_propose=services.may_propose_model(user), may_approve=services.may_approve_model(user),
                       proposed_count=ConfigurationItemModel.objects.for_user(user)
                       .filter(approval=ModelApproval.PROPOSED).count())
        return context


@login_required
def model_propose(request):
    user = request.user
    if not services.may_propose_model(user):
        raise Http404
    form = ModelProposalForm(request.POST or None, initial={"ci_type": request.GET.get("type")})
    if request.method == "POST" and form.is_valid():
        try:
            model = services.propose_model(user, form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            form.decorate_widgets()
        else:
            messages.success(request, _("%(model)s is proposed; the provider decides whether it becomes standard.")
                             % {"model": model})
            return redirect("cmdb:model-list")
    return render(request, "cmdb/item_model_form.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
def model_review(request, pk):
    user = request.user
    if not services.may_approve_model(user):
        raise Http404
    model = get_object_or_404(ConfigurationItemModel.objects.for_user(user).select_related("ci_type"), pk=pk)
    initial = {"standard_until": model.standard_until, "notes": model.notes,
               "decision": "reject" if model.approval == ModelApproval.REJECTED else "approve"}
    form = ModelDecisionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.decide_model(user, model, data["decision"] == "approve", data["standard_until"], data["notes"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            form.decorate_widgets()
        else:
            messages.success(request, _("%(model)s: %(approval)s.") % {"model": model,
                                                                      "approval": model.get_approval_display()})
            return redirect("cmdb:model-list")
    return render(request, "cmdb/item_model_review.html", {"form": form, "model": model},
                  status=400 if request.method == "POST" else 200)
