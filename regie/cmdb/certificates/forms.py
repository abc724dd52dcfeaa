import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regie.cmdb.models import ConfigurationItem
from regie.core.forms import AccessibleFormMixin
from regie.core.models import Organisation

from . import services
from .models import Certificate, CertificateStatus, Endpoint, Installation
from .parsing import MAX_UPLOAD_BYTES

# --- filters (shared with the API) --------------------------------------------------------------

class CertificateFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=gettext_lazy("Search"))
    organisation = django_filters.ModelChoiceFilter(queryset=Organisation.objects.none(),
                                                    label=gettext_lazy("Organisation"),
                                                    empty_label=gettext_lazy("All organisations"))
    status = django_filters.ChoiceFilter(choices=CertificateStatus.choices, method="filter_status",
                                         label=gettext_lazy("Status"), empty_label=gettext_lazy("All statuses"))
    issuer = django_filters.CharFilter(method="filter_issuer", label=gettext_lazy("Issuer"))

    class Meta:
        model = Certificate
        fields = ["q", "organisation", "status", "issuer"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        self.filters["organisation"].queryset = (
            Organisation.objects.for_user(user) if user is not None else Organisation.objects.none()
        )

    @property
    def form(self):
        form = super().form
        for name in ("organisation", "status"):
            form.fields[name].widget.attrs.setdefault("class", "form-select")
        return form

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(common_name__icontains=value) | Q(subject__icontains=value) | Q(sans_text__icontains=value)
            | Q(fingerprint_sha256=value.lower().replace(":", "")) | Q(serial_number=value.lower())
        )

    def filter_status(self, queryset, name, value):
        return queryset.with_status(value) if value else queryset

    def filter_issuer(self, queryset, name, value):
        value = value.strip()[:100]
        return queryset.filter(issuer__icontains=value) if value else queryset


# --- fields -------------------------------------------------------------------------------------

class ItemsField(forms.CharField):
    """Configuration items by asset tag, serial number or (unique) name, one per line or comma."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2}))
        kwargs.setdefault("label", gettext_lazy("Installed on"))
        kwargs.setdefault("help_text", gettext_lazy(
            "Configuration items (asset tag, serial number or exact name), one per line."))
        super().__init__(*args, **kwargs)
        self.user = None

    def clean(self, value):
        value = super().clean(value)
        tokens = [t.strip() for t in re.split(r"[\n,;]+", value or "") if t.strip()]
        if len(tokens) > 50:
            raise ValidationError(_("At most 50 items."))
        items = []
        scope = ConfigurationItem.objects.for_user(self.user).select_related("organisation")
        for token in tokens:
            found = list(scope.filter(Q(asset_tag=token) | Q(serial_number=token))[:2])
            if not found:
                found = list(scope.filter(name=token)[:2])
            if len(found) != 1:
                raise ValidationError(
                    _("“%(token)s”: no single configuration item has this asset tag, serial number or name.")
                    % {"token": token[:100]})
            if found[0] not in items:
                items.append(found[0])
        return items


def item_token(item):
    return item.asset_tag or item.serial_number or item.name


class CertificateDetailsMixin(forms.Form):
    items = ItemsField()
    endpoints = forms.CharField(
        label=gettext_lazy("Endpoints"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Where it is served, as host:port (port 443 when left out), one per line."),
    )
    warning_thresholds = forms.CharField(
        label=gettext_lazy("Warn at (days before expiry)"), initial="60, 30, 14, 7", max_length=60,
        help_text=gettext_lazy("One warning per threshold to the requesting participant and the provider."),
    )
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_endpoints(self):
        try:
            return services.clean_endpoints(self.cleaned_data["endpoints"])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean_warning_thresholds(self):
        try:
            return services.clean_thresholds(self.cleaned_data["warning_thresholds"])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None



class UploadForm(AccessibleFormMixin, CertificateDetailsMixin, forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(),
                                          label=gettext_lazy("Requesting participant"))
    file = forms.FileField(
        label=gettext_lazy("Certificate file"), required=False,
        help_text=gettext_lazy("PEM (one or more certificates, or a chain), DER or PKCS#12 (.p12/.pfx). "
                               "Private keys are never stored."),
    )
    pem_text = forms.CharField(label=gettext_lazy("Or paste PEM text"), required=False,
                               widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}))
    password = forms.CharField(label=gettext_lazy("PKCS#12 password"), required=False, strip=False,
                               widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    endpoint = forms.CharField(
        label=gettext_lazy("Or read it from an endpoint"), required=False, max_length=300,
        help_text=gettext_lazy("host:port: Regie connects and takes the certificate the endpoint serves."),
    )
    # Filled by the preview: the public certificates read (never a key); confirming saves these.
    confirmed_pem = forms.CharField(required=False, widget=forms.HiddenInput)
    key_dropped = forms.BooleanField(required=False, widget=forms.HiddenInput)

    field_order = ["organisation", "file", "pem_text", "password", "endpoint", "items", "endpoints",
                   "warning_thresholds", "notes"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["organisation"].queryset = Organisation.objects.for_user(user).filter(is_active=True)
        self.fields["items"].user = user
        self.decorate_widgets()

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is too large (at most %(size)d KB).")
                                  % {"size": MAX_UPLOAD_BYTES // 1024})
        return upload

    def clean(self):
        data = super().clean()
        sources = [bool(data.get("file")), bool((data.get("pem_text") or "").strip()),
                   bool((data.get("endpoint") or "").strip())]
        if not data.get("confirmed_pem") and sum(sources) != 1:
            raise ValidationError(_("Upload a file, paste PEM text or give an endpoint (one of the three)."))
        return data

    def upload_bytes(self):
        data = self.cleaned_data
        if data.get("confirmed_pem"):
            return data["confirmed_pem"].encode()
        if data.get("file"):
            return data["file"].read(MAX_UPLOAD_BYTES + 1)
        if (data.get("pem_text") or "").strip():
            return data["pem_text"].encode()
        return None


class CertificateEditForm(AccessibleFormMixin, CertificateDetailsMixin, forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(),
                                          label=gettext_lazy("Requesting participant"))

    field_order = ["organisation", "items", "endpoints", "warning_thresholds", "notes"]

    def __init__(self, *args, user, certificate, **kwargs):
        initial = {
            "organisation": certificate.organisation_id,
            "items": "\n".join(item_token(i.item) for i in Installation.objects.unrestricted()
                               .filter(certificate=certificate).select_related("item").order_by("id")),
            "endpoints": "\n".join(str(e) for e in Endpoint.objects.unrestricted().filter(certificate=certificate)),
            "warning_thresholds": ", ".join(str(d) for d in certificate.warning_thresholds),
            "notes": certificate.notes,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.for_user(user)
        self.fields["items"].user = user
        self.decorate_widgets()
