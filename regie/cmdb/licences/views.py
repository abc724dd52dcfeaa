"""Licence pages: products, entitlements, assignments and the compliance view. Participants
see their own organisation's entitlements, assignments and compliance; the provider all."""

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from regie.cmdb.models import ConfigurationItem, Contract
from regie.core.forms import AccessibleFormMixin, add_service_errors
from regie.core.generic import ScopedDetailView, ScopedListView
from regie.core.models import Organisation, User

from . import services
from .choices import ComplianceState, LicenceCategory, LicenceMetric
from .models import Assignment, Entitlement, LicenceProduct


def _select_classes(form, names):
    for name in names:
        form.fields[name].widget.attrs.setdefault("class", "form-select")
    return form


# --- filters (shared with the API) ------------------------------------------------------------

class ProductFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=gettext_lazy("Search"))
    metric = django_filters.ChoiceFilter(choices=LicenceMetric.choices, label=gettext_lazy("Metric"))
    category = django_filters.ChoiceFilter(choices=LicenceCategory.choices, label=gettext_lazy("Category"))

    class Meta:
        model = LicenceProduct
        fields = ["q", "metric", "category"]

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        return queryset.filter(Q(name__icontains=value) | Q(vendor__icontains=value)) if value else queryset


class ScopedOrganisationFilterSet(django_filters.FilterSet):
    organisation = django_filters.ModelChoiceFilter(queryset=Organisation.objects.none(),
                                                    label=gettext_lazy("Organisation"), empty_label=gettext_lazy("All"))
    product = django_filters.ModelChoiceFilter(queryset=LicenceProduct.objects.unrestricted(),
                                               label=gettext_lazy("Product"), empty_label=gettext_lazy("All"))

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        self.filters["organisation"].queryset = (
            Organisation.objects.for_user(user) if user is not None else Organisation.objects.none()
        )

    @property
    def form(self):
        choices = (django_filters.ModelChoiceFilter, django_filters.ChoiceFilter)
        return _select_classes(super().form, [n for n, f in self.filters.items() if isinstance(f, choices)])


class EntitlementFilterSet(ScopedOrganisationFilterSet):
    q = django_filters.CharFilter(method="search", label=gettext_lazy("Search"))
    expiring = django_filters.BooleanFilter(method="filter_expiring", label=gettext_lazy("Ending within 90 days"))
    active = django_filters.BooleanFilter(method="filter_active", label=gettext_lazy("Valid today"))

    class Meta:
        model = Entitlement
        fields = ["q", "product", "organisation", "expiring", "active"]

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        return queryset.filter(Q(reference__icontains=value) | Q(product__name__icontains=value)) if value else queryset

    def filter_expiring(self, queryset, name, value):
        if not value:
            return queryset
        today = timezone.localdate()
        return queryset.filter(ends_on__gte=today,
                               ends_on__lte=today + timezone.timedelta(days=max(services.EXPIRY_THRESHOLDS)))

    def filter_active(self, queryset, name, value):
        if value is None:
            return queryset
        active = queryset.active_on(timezone.localdate())
        return active if value else queryset.exclude(pk__in=active.values("pk"))


class AssignmentFilterSet(ScopedOrganisationFilterSet):
    q = django_filters.CharFilter(method="search", label=gettext_lazy("Search"))

    class Meta:
        model = Assignment
        fields = ["q", "product", "organisation"]

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(item__name__icontains=value) | Q(item__asset_tag=value) | Q(person__username__icontains=value)
            | Q(person__last_name__icontains=value)
        )


# --- forms ------------------------------------------------------------------------------------

class EntitlementForm(AccessibleFormMixin, forms.ModelForm):
    class Meta:
        model = Entitlement
        fields = ["product", "organisation", "quantity", "starts_on", "ends_on", "contract", "reference", "cost",
                  "notes"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.for_user(user)
        self.fields["product"].queryset = LicenceProduct.objects.for_user(user).filter(
            Q(is_active=True) | Q(pk=self.instance.product_id)
        )
        self.fields["contract"].queryset = Contract.objects.for_user(user).select_related("supplier")
        self.decorate_widgets()


class AssignmentForm(AccessibleFormMixin, forms.Form):
    product = forms.ModelChoiceField(queryset=LicenceProduct.objects.none(), label=gettext_lazy("Product"))
    item = forms.CharField(
        label=gettext_lazy("Configuration item"), required=False, max_length=100,
        help_text=gettext_lazy("Asset tag or serial number, for per-device, per-core, CAL and subscription licences."),
    )
    person = forms.CharField(label=gettext_lazy("Person"), required=False, max_length=150,
                             help_text=gettext_lazy("User name, for per-user licences and user CALs."))
    entitlement = forms.ModelChoiceField(queryset=Entitlement.objects.none(), required=False,
                                         label=gettext_lazy("Entitlement"),
                                         help_text=gettext_lazy("Optional: the entitlement this use counts against."))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["product"].queryset = LicenceProduct.objects.for_user(user).filter(is_active=True)
        self.fields["entitlement"].queryset = Entitlement.objects.for_user(user).select_related(
            "product", "organisation")
        self.fields["entitlement"].label_from_instance = lambda e: f"{e} — {e.organisation}"
        self.decorate_widgets()

    def clean_item(self):
        value = self.cleaned_data["item"].strip()
        if not value:
            return None
        item = ConfigurationItem.objects.for_user(self.user).filter(
            Q(asset_tag=value) | Q(serial_number=value)
        ).first()
        if item is None:
            raise ValidationError(_("No configuration item with this asset tag or serial number."))
        return item

    def clean_person(self):
        value = self.cleaned_data["person"].strip()
        if not value:
            return None
        person = User.objects.for_user(self.user).filter(username=value).first()
        if person is None:
            raise ValidationError(_("No person with this user name."))
        return person


def _require(allowed):
    if not allowed:
        raise Http404


# --- products ---------------------------------------------------------------------------------

class ProductListView(ScopedListView):
    model = LicenceProduct
    view_permission = services.VIEW_PERMISSION
    template_name = "licences/product_list.html"
    filterset_class = ProductFilterSet
    orderings = {"name": (gettext_lazy("Name"), ["name", "id"])}
    default_ordering = "name"
    page_size = 50
    select_related = ("cal_for",)


class ProductDetailView(ScopedDetailView):
    model = LicenceProduct
    view_permission = services.VIEW_PERMISSION
    template_name = "licences/product_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        product = context["object"]
        user = self.request.user
        context["compliance"] = services.compliance(user, product=product)
        context["entitlements"] = list(
            Entitlement.objects.for_user(user).filter(product=product)
            .select_related("organisation", "contract", "product")
            .order_by("organisation__name", "starts_on", "id")[:100]
        )
        context["cals"] = list(product.cals.all())
        context["may_entitle"] = services.may_entitle(user)
        return context


# --- entitlements -----------------------------------------------------------------------------

class EntitlementListView(ScopedListView):
    model = Entitlement
    view_permission = services.VIEW_PERMISSION
    template_name = "licences/entitlement_list.html"
    filterset_class = EntitlementFilterSet
    select_related = ("product", "organisation", "contract")
    orderings = {
        "product": (gettext_lazy("Product"), ["product__name", "id"]),
        "start": (gettext_lazy("Newest first"), ["-starts_on", "-id"]),
    }
    default_ordering = "product"
    export_columns = (
        (gettext_lazy("Product"), "product.name"), (gettext_lazy("Organisation"), "organisation.name"),
        (gettext_lazy("Quantity"), "quantity"), (gettext_lazy("Start"), "starts_on"), (gettext_lazy("End"), "ends_on"),
        (gettext_lazy("Contract"), "contract.reference"), (gettext_lazy("Licence reference"), "reference"),
        (gettext_lazy("Cost"), "cost"),
    )
    export_name = "licence-entitlements"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        for entitlement in context["object_list"]:
            entitlement.expiring = bool(entitlement.ends_on and 0 <= (entitlement.ends_on - today).days
                                        <= max(services.EXPIRY_THRESHOLDS))
            entitlement.ended = bool(entitlement.ends_on and entitlement.ends_on < today)
        context["may_entitle"] = services.may_entitle(self.request.user)
        return context


class EntitlementDetailView(ScopedDetailView):
    model = Entitlement
    view_permission = services.VIEW_PERMISSION
    template_name = "licences/entitlement_detail.html"

    def get_scoped_queryset(self):
        return super().get_scoped_queryset().select_related("product", "organisation", "contract__supplier")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entitlement = context["object"]
        user = self.request.user
        assignments = Assignment.objects.for_user(user).filter(entitlement=entitlement)
        context["assignments"] = list(assignments.with_list_data().order_by("id")[:100])
        context["assignment_count"] = assignments.count()
        today = timezone.localdate()
        context["active"] = entitlement.is_active_on(today)
        context["days_left"] = (entitlement.ends_on - today).days if entitlement.ends_on else None
        context["may_entitle"] = services.may_entitle(user)
        return context


def _entitlement_form(request, entitlement):
    initial = {}
    if entitlement is None:
        initial = {"starts_on": timezone.localdate()}
        if (request.GET.get("product") or "").isdigit():
            initial["product"] = request.GET["product"]
    form = EntitlementForm(request.POST or None, instance=entitlement, user=request.user, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = services.save_entitlement(request.user, entitlement, form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                messages.success(request, _("The entitlement has been saved."))
                return redirect("cmdb:licence-entitlement-detail", saved.pk)
        status = 400
    return render(request, "licences/entitlement_form.html", {"form": form, "entitlement": entitlement},
                  status=status)


@login_required
def entitlement_create(request):
    _require(services.may_entitle(request.user))
    return _entitlement_form(request, None)


@login_required
def entitlement_update(request, pk):
    _require(services.may_entitle(request.user))
    return _entitlement_form(request, get_object_or_404(Entitlement.objects.for_user(request.user), pk=pk))


# --- assignments ------------------------------------------------------------------------------

class AssignmentListView(ScopedListView):
    model = Assignment
    view_permission = services.VIEW_PERMISSION
    template_name = "licences/assignment_list.html"
    filterset_class = AssignmentFilterSet
    select_related = ("product", "organisation", "item", "person", "entitlement")
    orderings = {
        "product": (gettext_lazy("Product"), ["product__name", "id"]),
        "newest": (gettext_lazy("Newest first"), ["-id"]),
    }
    default_ordering = "product"
    export_columns = (
        (gettext_lazy("Product"), "product.name"), (gettext_lazy("Organisation"), "organisation.name"),
        (gettext_lazy("Configuration item"), "item.name"), (gettext_lazy("Asset tag"), "item.asset_tag"),
        (gettext_lazy("Person"), "person.username"), (gettext_lazy("Note"), "note"),
    )
    export_name = "licence-assignments"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for assignment in context["object_list"]:
            assignment.units = services.units_for(
                assignment.product, assignment.item.attributes if assignment.item_id else None,
                is_item=bool(assignment.item_id),
            )
        context["may_assign"] = services.may_assign(self.request.user)
        return context


@login_required
def assignment_create(request):
    _require(services.may_assign(request.user))
    initial = {key: request.GET[key] for key in ("product", "item", "person") if request.GET.get(key)}
    form = AssignmentForm(request.POST or None, user=request.user, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.assign(request.user, product=data["product"], item=data["item"], person=data["person"],
                                entitlement=data["entitlement"], note=data["note"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The licence has been assigned."))
                return redirect("cmdb:licence-assignment-list")
        status = 400
    return render(request, "licences/assignment_form.html", {"form": form}, status=status)


@login_required
@require_POST
def assignment_delete(request, pk):
    _require(services.may_assign(request.user))
    assignment = get_object_or_404(Assignment.objects.for_user(request.user), pk=pk)
    services.unassign(request.user, assignment)
    messages.success(request, _("The assignment has been removed."))
    return redirect("cmdb:licence-assignment-list")


# --- compliance -------------------------------------------------------------------------------

class ComplianceFilterForm(forms.Form):
    product = forms.ModelChoiceField(queryset=LicenceProduct.objects.none(), required=False,
                                     label=gettext_lazy("Product"), empty_label=gettext_lazy("All"))
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), required=False,
                                          label=gettext_lazy("Organisation"), empty_label=gettext_lazy("All"))
    state = forms.ChoiceField(choices=[("", gettext_lazy("All")), *ComplianceState.choices], required=False,
                              label=gettext_lazy("Status"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = LicenceProduct.objects.for_user(user)
        self.fields["organisation"].queryset = Organisation.objects.for_user(user)
        _select_classes(self, ["product", "organisation", "state"])


@login_required
def compliance_view(request):
    user = request.user
    if not user.has_perm(services.VIEW_PERMISSION):
        raise Http404
    form = ComplianceFilterForm(request.GET or None, user=user)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    result = services.compliance(user, product=data.get("product"), organisation=data.get("organisation"))
    rows = result.rows
    if data.get("state"):
        rows = [row for row in rows if row.state == data["state"]]
    return render(request, "licences/compliance.html", {
        "form": form,
        "result": result,
        "rows": rows,
        "over": result.over,
        "under": result.under,
        "chart": result.chart(),
        "states": ComplianceState,
    })
