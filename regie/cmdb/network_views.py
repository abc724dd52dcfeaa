"""Pages for network links and the datacenters (§4.6, §4.1.3–4.1.4). Rules in network.py."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from regie.core.forms import AccessibleFormMixin
from regie.core.generic import ScopedListView
from regie.core.models import Location, Organisation
from regie.core.tenancy import is_provider_staff

from . import impact as impacts
from . import network as rules
from .choices import NetworkLinkKind
from .models import NetworkLink, Supplier


class NetworkLinkListView(ScopedListView):
    template_name = "cmdb/network_list.html"
    model = NetworkLink
    view_permission = "cmdb.view_configurationitem"
    select_related = ("item__organisation", "end_a", "end_b", "provider", "redundant_with__end_a",
                      "redundant_partner__end_a")
    orderings = {
        "kind": (gettext_lazy("Kind"), ("kind", "item__name", "id")),
        "name": (gettext_lazy("Name"), ("item__name", "id")),
        "bandwidth": (gettext_lazy("Bandwidth"), ("-bandwidth_mbps", "id")),
    }
    default_ordering = "kind"
    page_size = 50
    export_columns = (
        (gettext_lazy("Name"), "item.name"), (gettext_lazy("Kind"), lambda link: link.get_kind_display()),
        (gettext_lazy("End A"), "end_a.name"), (gettext_lazy("End B"), "end_b.name"),
        (gettext_lazy("Bandwidth (Mbit/s)"), "bandwidth_mbps"), (gettext_lazy("Provider"), "provider.name"),
        (gettext_lazy("Redundant with"), "redundant_with.item.name"),
    )
    export_name = "network-links"

    def get_queryset(self):
        queryset = super().get_queryset()
        q = self.request.GET.get("q", "").strip()
        if q:
            queryset = queryset.filter(Q(item__name__icontains=q) | Q(end_a__name__icontains=q)
                                       | Q(end_b__name__icontains=q))
        kind = self.request.GET.get("kind")
        if kind in NetworkLinkKind.values:
            queryset = queryset.filter(kind=kind)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = []
        for link in context["object_list"]:
            rules.with_partner(link)
            rows.append((link, link._partner, rules.link_warnings(link)))
        context.update(rows=rows, kinds=NetworkLinkKind.choices, q=self.request.GET.get("q", ""),
                       kind=self.request.GET.get("kind", ""), can_keep=rules.can_keep_links(self.request.user))
        return context


class NetworkLinkForm(AccessibleFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    organisation = forms.ModelChoiceField(label=gettext_lazy("Owner"), queryset=Organisation.objects.none())
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=[("", "---------"), *NetworkLinkKind.choices])
    end_a = forms.ModelChoiceField(label=gettext_lazy("End A"), queryset=Location.objects.none())
    end_b = forms.ModelChoiceField(label=gettext_lazy("End B"), queryset=Location.objects.none(), required=False,
                                   help_text=gettext_lazy("Empty for a link to Gemnet or the Internet."))
    bandwidth_mbps = forms.IntegerField(label=gettext_lazy("Bandwidth (Mbit/s)"))
    provider = forms.ModelChoiceField(label=gettext_lazy("Provider"), queryset=Supplier.objects.none(),
                                      required=False)
    redundant_with = forms.ModelChoiceField(
        label=gettext_lazy("Redundant with"), queryset=NetworkLink.objects.none(), required=False,
        help_text=gettext_lazy("Gemnet and Internet are connected twice, once from each datacenter."),
    )
    notes = forms.CharField(label=gettext_lazy("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, user, link=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.for_user(user).order_by("name")
        locations = Location.objects.for_user(user).select_related("organisation").order_by("organisation__name",
                                                                                              "name")
        self.fields["end_a"].queryset = locations
        self.fields["end_b"].queryset = locations
        self.fields["provider"].queryset = Supplier.objects.for_user(user).filter(is_active=True)
        partners = rules.visible_links(user).select_related("item").order_by("kind", "item__name")
        if link is not None:
            partners = partners.exclude(pk=link.pk)
        self.fields["redundant_with"].queryset = partners
        self.fields["redundant_with"].label_from_instance = lambda obj: f"{obj.item.name} ({obj.get_kind_display()})"
        self.decorate_widgets()


class NetworkLinkFormView(LoginRequiredMixin, TemplateView):
    template_name = "cmdb/network_form.html"

    def get_link(self):
        if "pk" not in self.kwargs:
            return None
        link = rules.visible_links(self.request.user).select_related("item", "redundant_with").filter(
            pk=self.kwargs["pk"]).first()
        if link is None:
            raise Http404
        return link

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not rules.can_keep_links(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        link = self.get_link()
        if "form" not in kwargs:
            initial = {}
            if link is not None:
                initial = {"name": link.item.name, "organisation": link.item.organisation_id, "kind": link.kind,
                           "end_a": link.end_a_id, "end_b": link.end_b_id, "bandwidth_mbps": link.bandwidth_mbps,
                           "provider": link.provider_id, "redundant_with": link.redundant_with_id,
                           "notes": link.item.notes}
            context["form"] = NetworkLinkForm(user=self.request.user, link=link, initial=initial)
        context["link"] = link
        return context

    def post(self, request, *args, **kwargs):
        link = self.get_link()
        form = NetworkLinkForm(request.POST, user=request.user, link=link)
        if form.is_valid():
            try:
                link = rules.save_link(request.user, form.cleaned_data, link=link)
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                messages.success(request, _("Network link %(name)s saved.") % {"name": link.item.name})
                return redirect("cmdb:network-list")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class DatacenterView(LoginRequiredMixin, TemplateView):
    template_name = "cmdb/datacenter_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        centres = rules.datacenters(user)
        failures = []
        for centre in centres:
            # If the whole datacenter fails, everything placed in it fails with it.
            start = [centre.item.pk, *centre.placed_ids]
            failures.append(impacts.scoped_impact(user, start))
        context["centres"] = list(zip(centres, failures, strict=True))
        context["sees_all"] = is_provider_staff(user)
        return context
