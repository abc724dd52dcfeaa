"""Suppliers (with contacts) and contracts (framework, maintenance, warranty …) pages.
Everyone with the CMDB's read permission reads them within their scope; the provider's
CMDB managers keep them. The rules live in contracts.py."""

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from regie.core.forms import AccessibleFormMixin, add_service_errors
from regie.core.generic import ScopedDetailView, ScopedListView
from regie.core.models import Organisation

from . import contracts as rules
from .choices import ContractKind
from .models import ConfigurationItem, ConfigurationItemModel, Contract, ContractLine, Supplier, SupplierContact

ITEMS_SHOWN = 50


# --- filters (shared with the API) ------------------------------------------------------------

class SupplierFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=gettext_lazy("Search"))
    is_active = django_filters.BooleanFilter(label=gettext_lazy("Active"))

    class Meta:
        model = Supplier
        fields = ["q", "is_active"]

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        return queryset.filter(Q(name__icontains=value) | Q(chamber_of_commerce=value)) if value else queryset


class ContractFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=gettext_lazy("Search"))
    kind = django_filters.ChoiceFilter(choices=ContractKind.choices, label=gettext_lazy("Kind"),
                                       empty_label=gettext_lazy("All"))
    supplier = django_filters.ModelChoiceFilter(queryset=Supplier.objects.unrestricted(),
                                                label=gettext_lazy("Supplier"), empty_label=gettext_lazy("All"))
    organisation = django_filters.ModelChoiceFilter(queryset=Organisation.objects.none(),
                                                    label=gettext_lazy("Contracting party"),
                                                    empty_label=gettext_lazy("All"))
    expiring = django_filters.BooleanFilter(method="filter_expiring", label=gettext_lazy("Expiring soon"))
    valid = django_filters.BooleanFilter(method="filter_valid", label=gettext_lazy("Valid today"))

    class Meta:
        model = Contract
        fields = ["q", "kind", "supplier", "organisation", "expiring", "valid"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        self.filters["organisation"].queryset = (
            Organisation.objects.for_user(user) if user is not None else Organisation.objects.none()
        )

    @property
    def form(self):
        form = super().form
        for name in ("kind", "supplier", "organisation"):
            form.fields[name].widget.attrs.setdefault("class", "form-select")
        return form

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(Q(reference__icontains=value) | Q(name__icontains=value) | Q(tender__icontains=value))

    def filter_expiring(self, queryset, name, value):
        if value is None:
            return queryset
        soon = rules.expiring(queryset)
        return soon if value else queryset.exclude(pk__in=soon.values("pk"))

    def filter_valid(self, queryset, name, value):
        if value is None:
            return queryset
        today = timezone.localdate()
        valid = Q(starts_on__lte=today) & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        return queryset.filter(valid) if value else queryset.exclude(valid)


# --- forms ------------------------------------------------------------------------------------

class SupplierForm(AccessibleFormMixin, forms.ModelForm):
    website = forms.URLField(label=gettext_lazy("website"), required=False, assume_scheme="https")

    class Meta:
        model = Supplier
        fields = list(rules.SUPPLIER_FIELDS)
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class SupplierContactForm(AccessibleFormMixin, forms.ModelForm):
    class Meta:
        model = SupplierContact
        fields = list(rules.CONTACT_FIELDS)


class ContractForm(AccessibleFormMixin, forms.ModelForm):
    class Meta:
        model = Contract
        fields = ["reference", "name", "kind", "organisation", "supplier", "tender", "starts_on", "ends_on",
                  "notice_days", "response_hours", "resolution_hours", "annual_value", "notes"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "organisation": gettext_lazy("The provider for a joint tender, or the participant that signed it."),
            "response_hours": gettext_lazy("Maintenance and warranty: shown to the service desk at a hand-over."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.for_user(user)
        self.fields["supplier"].queryset = Supplier.objects.for_user(user).filter(
            Q(is_active=True) | Q(pk=self.instance.supplier_id)
        )
        self.decorate_widgets()


class ContractLineForm(AccessibleFormMixin, forms.ModelForm):
    class Meta:
        model = ContractLine
        fields = ["model", "description", "unit_price"]
        help_texts = {"description": gettext_lazy("Defaults to the model's name.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["description"].required = False
        self.fields["model"].queryset = rules.model_choices()
        self.decorate_widgets()


def _require_manager(user, permission=rules.MANAGE_PERMISSION):
    if not (user.is_provider_staff and user.has_perm(permission)):
        raise Http404


# --- suppliers --------------------------------------------------------------------------------

class SupplierListView(ScopedListView):
    model = Supplier
    view_permission = "cmdb.view_supplier"
    template_name = "cmdb/supplier_list.html"
    filterset_class = SupplierFilterSet
    orderings = {"name": (gettext_lazy("Name"), ["name", "id"])}
    default_ordering = "name"
    export_columns = (
        (gettext_lazy("Name"), "name"), (gettext_lazy("Chamber of Commerce number"), "chamber_of_commerce"),
        (gettext_lazy("E-mail address"), "email"), (gettext_lazy("Phone number"), "phone"),
        (gettext_lazy("Support hours"), "support_hours"), (gettext_lazy("Active"), "is_active"),
    )
    export_name = "suppliers"

    def get_queryset(self):
        user = self.request.user
        contracts = Q(contracts__organisation_id=user.organisation_id) if not user.is_provider_staff else Q()
        return super().get_queryset().annotate(
            contract_count=Count("contracts", filter=contracts, distinct=True),
            contact_count=Count("contacts", distinct=True),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_manage"] = rules_may_manage(self.request.user, rules.SUPPLIER_PERMISSION)
        return context


def rules_may_manage(user, permission=rules.MANAGE_PERMISSION):
    return user.is_provider_staff and user.has_perm(permission)


class SupplierDetailView(ScopedDetailView):
    model = Supplier
    view_permission = "cmdb.view_supplier"
    template_name = "cmdb/supplier_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        supplier = context["object"]
        user = self.request.user
        context["contacts"] = list(supplier.contacts.all())
        context["contracts"] = list(
            Contract.objects.for_user(user).filter(supplier=supplier).select_related("organisation")
            .order_by("-starts_on", "id")
        ) if user.has_perm("cmdb.view_contract") else []
        context["today"] = timezone.localdate()
        context["may_manage"] = rules_may_manage(user, rules.SUPPLIER_PERMISSION)
        context["may_manage_contracts"] = rules_may_manage(user)
        if context["may_manage"]:
            context["contact_form"] = SupplierContactForm(prefix="contact")
        return context


def _supplier_form(request, supplier):
    form = SupplierForm(request.POST or None, instance=supplier)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = rules.save_supplier(request.user, supplier, form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The supplier “%(name)s” has been saved.") % {"name": saved.name})
                return redirect("cmdb:supplier-detail", saved.pk)
        status = 400
    return render(request, "cmdb/supplier_form.html", {"form": form, "supplier": supplier}, status=status)


@login_required
def supplier_create(request):
    _require_manager(request.user, rules.SUPPLIER_PERMISSION)
    return _supplier_form(request, None)


@login_required
def supplier_update(request, pk):
    _require_manager(request.user, rules.SUPPLIER_PERMISSION)
    return _supplier_form(request, get_object_or_404(Supplier.objects.for_user(request.user), pk=pk))


@login_required
def supplier_contact(request, pk, contact_pk=None):
    """Add a contact (POST from the supplier's page) or change one (its own small form)."""
    _require_manager(request.user, rules.SUPPLIER_PERMISSION)
    supplier = get_object_or_404(Supplier.objects.for_user(request.user), pk=pk)
    contact = get_object_or_404(SupplierContact, pk=contact_pk, supplier=supplier) if contact_pk else None
    form = SupplierContactForm(request.POST or None, instance=contact, prefix="contact")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                rules.save_contact(request.user, supplier, contact, form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The contact has been saved."))
                return redirect("cmdb:supplier-detail", supplier.pk)
        status = 400
    return render(request, "cmdb/supplier_contact_form.html",
                  {"form": form, "supplier": supplier, "contact": contact}, status=status)


@login_required
@require_POST
def supplier_contact_delete(request, pk, contact_pk):
    _require_manager(request.user, rules.SUPPLIER_PERMISSION)
    supplier = get_object_or_404(Supplier.objects.for_user(request.user), pk=pk)
    contact = get_object_or_404(SupplierContact, pk=contact_pk, supplier=supplier)
    rules.delete_contact(request.user, contact)
    messages.success(request, _("The contact has been removed."))
    return redirect("cmdb:supplier-detail", supplier.pk)


# --- contracts --------------------------------------------------------------------------------

class ContractListView(ScopedListView):
    model = Contract
    view_permission = "cmdb.view_contract"
    template_name = "cmdb/contract_list.html"
    filterset_class = ContractFilterSet
    select_related = ("supplier", "organisation")
    orderings = {
        "name": (gettext_lazy("Name"), ["name", "id"]),
        "reference": (gettext_lazy("Contract reference"), ["reference", "id"]),
        "start": (gettext_lazy("Newest first"), ["-starts_on", "-id"]),
    }
    default_ordering = "name"
    export_columns = (
        (gettext_lazy("Contract reference"), "reference"), (gettext_lazy("Name"), "name"),
        (gettext_lazy("Kind"), "kind"),
        (gettext_lazy("Supplier"), "supplier.name"), (gettext_lazy("Contracting party"), "organisation.name"),
        (gettext_lazy("Tender"), "tender"), (gettext_lazy("Start"), "starts_on"), (gettext_lazy("End"), "ends_on"),
        (gettext_lazy("Notice period (days)"), "notice_days"),
        (gettext_lazy("Response time (hours)"), "response_hours"),
        (gettext_lazy("Resolution time (hours)"), "resolution_hours"), (gettext_lazy("Annual value"), "annual_value"),
    )
    export_name = "contracts"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        for contract in context["object_list"]:
            contract.expiring = rules.is_expiring(contract, today)
            contract.ended = contract.ends_on is not None and contract.ends_on < today
        context["expiring_count"] = rules.expiring(self.get_queryset()).count()
        context["may_manage"] = rules_may_manage(self.request.user)
        return context


class ContractDetailView(ScopedDetailView):
    model = Contract
    view_permission = "cmdb.view_contract"
    template_name = "cmdb/contract_detail.html"

    def get_scoped_queryset(self):
        return super().get_scoped_queryset().select_related("supplier", "organisation")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract = context["object"]
        user = self.request.user
        today = timezone.localdate()
        items = ConfigurationItem.objects.for_user(user).filter(
            Q(maintenance_contract=contract) | Q(framework_contract=contract)
        ) if user.has_perm("cmdb.view_configurationitem") else ConfigurationItem.objects.none()
        context.update(
            lines=list(contract.lines.select_related("model__ci_type").order_by("description", "id")),
            items=list(items.select_related("ci_type", "organisation", "model").order_by("name", "id")[:ITEMS_SHOWN]),
            item_count=items.count(),
            items_shown=ITEMS_SHOWN,
            expiring=rules.is_expiring(contract, today),
            ended=contract.ends_on is not None and contract.ends_on < today,
            valid=contract.is_valid_on(today),
            thresholds=rules.thresholds(contract),
            may_manage=rules_may_manage(user),
            is_framework=contract.kind == ContractKind.FRAMEWORK,
        )
        if context["may_manage"] and context["is_framework"]:
            context["line_form"] = ContractLineForm(prefix="line")
        return context


def _contract_form(request, contract):
    initial = {}
    if contract is None and (request.GET.get("supplier") or "").isdigit():
        initial["supplier"] = request.GET["supplier"]
    form = ContractForm(request.POST or None, instance=contract, user=request.user, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = rules.save_contract(request.user, contract, form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                messages.success(request, _("The contract %(reference)s has been saved.")
                                 % {"reference": saved.reference})
                return redirect("cmdb:contract-detail", saved.pk)
        status = 400
    return render(request, "cmdb/contract_form.html", {"form": form, "contract": contract}, status=status)


@login_required
def contract_create(request):
    _require_manager(request.user, "cmdb.add_contract")
    return _contract_form(request, None)


@login_required
def contract_update(request, pk):
    _require_manager(request.user)
    return _contract_form(request, get_object_or_404(Contract.objects.for_user(request.user), pk=pk))


@login_required
@require_POST
def contract_line_add(request, pk):
    _require_manager(request.user)
    contract = get_object_or_404(Contract.objects.for_user(request.user), pk=pk)
    form = ContractLineForm(request.POST, prefix="line")
    if form.is_valid():
        try:
            rules.save_line(request.user, contract, None, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The product line has been added."))
            return redirect("cmdb:contract-detail", contract.pk)
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    view = ContractDetailView()
    view.setup(request, pk=pk)
    response = view.get(request, pk=pk)
    response.status_code = 400
    return response


@login_required
@require_POST
def contract_line_delete(request, pk, line_pk):
    _require_manager(request.user)
    contract = get_object_or_404(Contract.objects.for_user(request.user), pk=pk)
    line = get_object_or_404(ContractLine, pk=line_pk, contract=contract)
    rules.delete_line(request.user, line)
    messages.success(request, _("The product line has been removed."))
    return redirect("cmdb:contract-detail", contract.pk)


@login_required
def purchase_check(request, pk):
    """Would buying a model under this framework contract be allowed today? (a small form)"""
    contract = get_object_or_404(
        Contract.objects.for_user(request.user) if request.user.has_perm("cmdb.view_contract")
        else Contract.objects.none(), pk=pk,
    )
    model_id = request.GET.get("model", "")
    model = ConfigurationItemModel.objects.for_user(request.user).filter(pk=model_id).first() \
        if model_id.isdigit() else None
    refusals = rules.purchase_refusals(model, contract, timezone.localdate()) if model_id else None
    return render(request, "cmdb/contract_purchase_check.html", {
        "object": contract, "model": model, "refusals": refusals, "models": rules.model_choices(),
        "model_id": model_id,
    })
