"""Import pages: the list of imports, the upload form, a job's page (preview, row errors,
progress), its progress as JSON for the polling script, applying a checked import, and
the templates per item type. The rules live in services.py."""

import datetime
import io
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from regie.cmdb.choices import CIStatus
from regie.cmdb.models import ConfigurationItemModel
from regie.core.exports import csv_safe
from regie.core.forms import AccessibleFormMixin
from regie.core.generic import ScopedListView

from . import services
from .models import ImportJob, ImportStatus


class ImportForm(AccessibleFormMixin, forms.Form):
    ci_type = forms.ModelChoiceField(label=gettext_lazy("Item type"), queryset=ImportJob.objects.none())
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (separated by ; or ,) or Excel (.xlsx), with a header row as in the template."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,text/csv,"
                                                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    )
    apply = forms.TypedChoiceField(
        label=gettext_lazy("What to do"), coerce=lambda value: value == "1", initial="0",
        choices=[("0", gettext_lazy("Check only (dry run): show a preview and the errors, write nothing")),
                 ("1", gettext_lazy("Check and import straight away when every row is right"))],
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ci_type"].queryset = services.importable_types()
        self.decorate_widgets()


def _require_importer(request):
    if not services.may_import(request.user):
        raise Http404


class ImportListView(ScopedListView):
    model = ImportJob
    template_name = "imports/import_list.html"
    view_permission = "cmdb.view_configurationitem"
    orderings = {"new": (gettext_lazy("Newest first"), ["-created_at", "-id"])}
    default_ordering = "new"
    select_related = ("ci_type", "created_by")

    def get_queryset(self):
        return super().get_queryset().defer("content", "preview", "errors")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_import"] = services.may_import(self.request.user)
        context["types"] = services.importable_types() if context["may_import"] else []
        return context


@login_required
def import_create(request):
    _require_importer(request)
    form = ImportForm(request.POST or None, request.FILES or None,
                      initial={"ci_type": request.GET.get("type")} if request.GET.get("type") else None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.create_job(request.user, form.cleaned_data["ci_type"], form.cleaned_data["file"],
                                      apply=form.cleaned_data["apply"])
        except ValidationError as exc:
            for message in exc.message_dict.get("file", exc.messages):
                form.add_error("file", message)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            queued = services.start(job, request.user)
            if queued:
                messages.info(request, _("The file is large: it is being checked in the background."))
            return redirect(job)
    return render(request, "imports/import_form.html", {"form": form, "types": services.importable_types()})


def _job(request, pk):
    return get_object_or_404(services.visible_jobs(request.user).select_related("ci_type", "created_by")
                             .defer("content"), pk=pk)


def _typed_preview(job):
    """Preview values back as dates and amounts, so the page shows them the Dutch way."""
    rows = []
    statuses = dict(CIStatus.choices)
    for row in (job.preview or {}).get("rows", []):
        values = dict(row.get("values", {}))
        for key in ("purchase_date", "warranty_end"):
            if values.get(key):
                values[key] = datetime.date.fromisoformat(values[key])
        if values.get("price"):
            values["price"] = Decimal(values["price"])
        values["status"] = statuses.get(values.get("status"), values.get("status"))
        rows.append({**row, "values": values})
    return rows


@login_required
def import_detail(request, pk):
    job = _job(request, pk)
    return render(request, "imports/import_detail.html", {
        "job": job,
        "preview_rows": _typed_preview(job),
        "may_import": services.may_import(request.user),
        "attribute_specs": job.ci_type.attribute_schema or [],
        "more_errors": max(0, job.error_count - len(job.errors)),
    })


@login_required
def import_progress(request, pk):
    job = _job(request, pk)
    return JsonResponse({
        "status": job.status, "statusLabel": str(job.get_status_display()), "running": job.is_running,
        "percent": job.percent, "rowsTotal": job.rows_total, "rowsValidated": job.rows_validated,
        "rowsWritten": job.rows_written, "errorCount": job.error_count,
    })


@login_required
@require_POST
def import_apply(request, pk):
    job = _job(request, pk)
    _require_importer(request)
    try:
        queued = services.request_apply(request.user, job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if queued:
            messages.info(request, _("The import is running in the background; this page shows its progress."))
    return redirect(job)


@login_required
def import_template(request, type_code, fmt):
    """An empty file with the right header for one item type, CSV or Excel."""
    if not request.user.has_perm("cmdb.view_configurationitem"):
        raise Http404
    ci_type = get_object_or_404(services.importable_types(), code=type_code)
    header = services.template_header(ci_type)
    name = f"import-{ci_type.code}"
    if fmt == "csv":
        content = "\ufeff" + ";".join(csv_safe(cell).replace(";", ",") for cell in header) + "\r\n"
        response = HttpResponse(content.encode(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if fmt != "xlsx":
        raise Http404
    return _xlsx_template(ci_type, header, name)


def _xlsx_template(ci_type, header, name):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = ci_type.code[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = max(14, len(str(cell.value)) + 4)
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet(_("Values")[:31])
    help_sheet.append([_("Column"), _("What to fill in")])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    help_sheet.append([_("owner"), _("The organisation code, e.g. VNL, RMD, WRT, NDW or NML.")])
    help_sheet.append([_("status"), ", ".join(str(label) for _value, label in CIStatus.choices)])
    help_sheet.append([_("dates"), _("dd-mm-jjjj (e.g. 31-12-2026) or 2026-12-31, or an Excel date.")])
    help_sheet.append([_("price"), _("1.234,56 or 1234.56")])
    help_sheet.append([_("asset tag"), _("Identifies the item: a row with a known asset tag (or else serial number) "
                                         "updates that item.")])
    models = ConfigurationItemModel.objects.unrestricted().filter(ci_type=ci_type).order_by("manufacturer", "name")
    help_sheet.append([_("brand and type"), "; ".join(str(model) for model in models[:200])])
    for spec in ci_type.attribute_schema or []:
        explanation = str(spec.get("kind", "text"))
        if spec.get("choices"):
            explanation = ", ".join(str(choice) for choice in spec["choices"])
        if spec.get("required"):
            explanation = f"{explanation} ({_('required')})"
        help_sheet.append([spec.get("label") or spec["code"], explanation])
    help_sheet.column_dimensions["A"].width = 28
    help_sheet.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


__all__ = [
    "ImportListView",
    "ImportStatus",
    "import_apply",
    "import_create",
    "import_detail",
    "import_progress",
    "import_template",
]
