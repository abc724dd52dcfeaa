"""Certificate pages: the register (list, CSV), a certificate with its chain, installations and
check history, the upload with a preview before saving, the edit page and "check now".
Participants see their own organisation's certificates; the provider all."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from regie.cmdb.models import ConfigurationItem
from regie.core.forms import add_service_errors
from regie.core.generic import ScopedDetailView, ScopedListView

from . import services
from .forms import CertificateEditForm, CertificateFilterSet, UploadForm
from .models import Certificate, CertificateWarning, Endpoint, EndpointCheck, Installation

HISTORY_LIMIT = 50


def _require(allowed):
    if not allowed:
        raise Http404


class CertificateListView(ScopedListView):
    model = Certificate
    view_permission = services.VIEW_PERMISSION
    template_name = "certificates/certificate_list.html"
    filterset_class = CertificateFilterSet
    select_related = ("organisation",)
    orderings = {
        "expiry": (gettext_lazy("Expires first"), ["not_after", "id"]),
        "name": (gettext_lazy("Name"), ["common_name", "id"]),
        "newest": (gettext_lazy("Newest first"), ["-created_at", "-id"]),
    }
    default_ordering = "expiry"
    page_size = 50
    export_columns = (
        (gettext_lazy("Common name"), "common_name"), (gettext_lazy("Subject"), "subject"),
        (gettext_lazy("Subject alternative names"), "sans_text"), (gettext_lazy("Issuer"), "issuer"),
        (gettext_lazy("Serial number"), "serial_number"), (gettext_lazy("Valid from"), "not_before"),
        (gettext_lazy("Valid until"), "not_after"), (gettext_lazy("Status"), lambda c: str(c.status_label)),
        (gettext_lazy("Key"), lambda c: f"{c.key_type} {c.key_size or ''}".strip()),
        (gettext_lazy("Signature algorithm"), "signature_algorithm"),
        (gettext_lazy("SHA-256 fingerprint"), "fingerprint_sha256"),
        (gettext_lazy("Requesting participant"), "organisation.name"),
    )
    export_name = "certificates"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_keep"] = services.may_keep(self.request.user)
        context["organisation_column"] = self.request.user.is_provider_staff
        return context


class CertificateDetailView(ScopedDetailView):
    model = Certificate
    view_permission = services.VIEW_PERMISSION
    template_name = "certificates/certificate_detail.html"

    def get_scoped_queryset(self):
        return super().get_scoped_queryset().select_related("organisation", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        certificate = context["object"]
        user = self.request.user
        visible_items = ConfigurationItem.objects.for_user(user)
        context["installations"] = list(
            Installation.objects.for_user(user).filter(certificate=certificate, item__in=visible_items)
            .select_related("item__ci_type", "item__organisation").order_by("item__name", "id")
        )
        context["endpoints"] = list(Endpoint.objects.for_user(user).filter(certificate=certificate))
        checks = list(
            EndpointCheck.objects.for_user(user).filter(certificate=certificate)
            .order_by("-checked_at", "-id")[:HISTORY_LIMIT]
        )
        for check in checks:
            check.problem_messages = [services.problem_message(p) for p in check.problems]
        context["checks"] = checks
        context["warnings"] = list(
            CertificateWarning.objects.for_user(user).filter(certificate=certificate).order_by("-threshold")
        )
        context["may_keep"] = services.may_keep(user)
        return context


@login_required
def certificate_upload(request):
    _require(services.may_keep(request.user))
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user,
                      initial={"warning_thresholds": "60, 30, 14, 7"})
    context = {"form": form}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            status = _upload(request, form, context)
            if status is None:
                return context["redirect"]
    return render(request, "certificates/certificate_upload.html", context, status=status)


def _upload(request, form, context):
    data = form.cleaned_data
    organisation = data["organisation"]
    endpoint = (data.get("endpoint") or "").strip()
    try:
        if "confirm" in request.POST and data.get("confirmed_pem"):
            endpoints = list(data["endpoints"])
            source = services.clean_endpoints([endpoint], "endpoint") if endpoint else []
            endpoints += [pair for pair in source if pair not in endpoints]
            outcome = services.import_certificates(
                request.user, organisation=organisation, data=form.upload_bytes(), items=data["items"],
                endpoints=endpoints, thresholds=data["warning_thresholds"], notes=data["notes"],
            )
            for certificate in outcome.certificates:
                for target in Endpoint.objects.unrestricted().filter(certificate=certificate):
                    if (target.host, target.port) in source:
                        services.check_endpoint(target)
            if data.get("key_dropped"):
                messages.warning(request, _("The file held a private key. It was not stored: only the "
                                            "certificates were taken."))
            count = len(outcome.certificates)
            messages.success(request, ngettext("%(count)d certificate registered.",
                                               "%(count)d certificates registered.", count) % {"count": count})
            first = outcome.certificates[0]
            context["redirect"] = redirect("cmdb:certificate-detail", first.pk)
            return None
        if endpoint:
            _parsed, probe = services.read_endpoint(*services.clean_endpoints([endpoint], "endpoint")[0])
            from cryptography import x509
            from cryptography.hazmat.primitives import serialization

            pem = "".join(x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()
                          for der in probe.chain_der or [probe.leaf_der])
            preview = services.preview_upload(request.user, organisation, pem.encode())
            context["probe"] = probe
        else:
            preview = services.preview_upload(request.user, organisation, form.upload_bytes(), data["password"])
    except ValidationError as exc:
        add_service_errors(form, exc)
        return 400
    except PermissionDenied as exc:
        raise Http404 from exc
    # The preview: what was read, with the public certificates carried to the confirmation.
    confirm = form.data.copy()
    confirm["confirmed_pem"] = preview.result.pem
    confirm["key_dropped"] = "on" if preview.key_dropped else ""
    confirm_form = UploadForm(confirm, user=request.user)
    confirm_form.is_valid()
    context.update(preview=preview, form=confirm_form, duplicates=preview.duplicates)
    return 200


def _edit_form(request, certificate):
    form = CertificateEditForm(request.POST or None, user=request.user, certificate=certificate)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_certificate(request.user, certificate, form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                messages.success(request, _("The certificate has been saved."))
                return redirect("cmdb:certificate-detail", certificate.pk)
        status = 400
    return render(request, "certificates/certificate_edit.html", {"form": form, "object": certificate},
                  status=status)


@login_required
def certificate_edit(request, pk):
    certificate = get_object_or_404(Certificate.objects.for_user(request.user), pk=pk)
    _require(services.may_keep(request.user))
    return _edit_form(request, certificate)


@login_required
@require_POST
def certificate_check(request, pk):
    certificate = get_object_or_404(Certificate.objects.for_user(request.user), pk=pk)
    _require(services.may_keep(request.user))
    try:
        checks = services.check_certificate(request.user, certificate, request.POST.get("endpoint") or None)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        for check in checks:
            if check.result == "ok":
                messages.success(request, _("%(endpoint)s: in order.") % {"endpoint": f"{check.host}:{check.port}"})
            else:
                problems = " ".join(services.problem_message(p) for p in check.problems)
                messages.warning(request, f"{check.host}:{check.port}: {problems}")
    return redirect("cmdb:certificate-detail", certificate.pk)
