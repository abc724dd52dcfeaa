"""Import jobs: one uploaded CSV or Excel file of configuration items of one type.

A job is first validated (a dry run: preview, counts, row-level errors) and then applied
in one transaction, all rows or none. Large files are handled by the worker; the job
carries the progress the job page shows. The job belongs to the uploader's organisation.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regie.core.audit import ChangeLoggedModel
from regie.core.tenancy import TenantOwnedModel


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    VALIDATING = "validating", _("checking")
    VALID = "valid", _("ready to import")
    INVALID = "invalid", _("refused: errors")
    APPLYING = "applying", _("importing")
    APPLIED = "applied", _("imported")
    FAILED = "failed", _("failed")


IMPORT_STATUS_COLOURS = {
    ImportStatus.PENDING: "secondary",
    ImportStatus.VALIDATING: "info",
    ImportStatus.VALID: "primary",
    ImportStatus.INVALID: "danger",
    ImportStatus.APPLYING: "info",
    ImportStatus.APPLIED: "success",
    ImportStatus.FAILED: "danger",
}


class ImportJob(ChangeLoggedModel, TenantOwnedModel):
    """An import of configuration items of one type from one file."""

    audit_exclude_fields = ("content", "preview", "errors")

    ci_type = models.ForeignKey(
        "cmdb.ConfigurationItemType", models.PROTECT, related_name="+", verbose_name=_("item type")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    file_name = models.CharField(_("file"), max_length=200)
    file_format = models.CharField(_("format"), max_length=8, blank=True)
    # The uploaded bytes, so a worker on another machine can read them; dropped once applied.
    content = models.BinaryField(editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    apply_requested = models.BooleanField(_("import after checking"), default=False)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_validated = models.PositiveIntegerField(_("rows checked"), default=0)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    creates = models.PositiveIntegerField(_("new"), default=0)
    updates = models.PositiveIntegerField(_("changed"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    # [{"row": 3, "column": "purchase date", "reason": "..."}]; the first MAX_STORED_ERRORS.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    # {"columns": [...], "rows": [{"row": 2, "action": "create", "values": [...]}]}
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["organisation", "-created_at", "-id"], name="cmdb_import_org_idx")]

    def __str__(self):
        return self.file_name

    @property
    def status_colour(self):
        return IMPORT_STATUS_COLOURS.get(self.status, "secondary")

    @property
    def is_running(self):
        return self.status in {ImportStatus.PENDING, ImportStatus.VALIDATING, ImportStatus.APPLYING}

    @property
    def can_apply(self):
        return self.status == ImportStatus.VALID

    @property
    def percent(self):
        """Progress of the current phase, 0–100: checking, then writing."""
        if not self.rows_total:
            return 100 if self.status in {ImportStatus.APPLIED, ImportStatus.VALID} else 0
        writing = self.status in {ImportStatus.APPLYING, ImportStatus.APPLIED}
        done = self.rows_written if writing else self.rows_validated
        return min(100, round(100 * done / self.rows_total))

    def get_absolute_url(self):
        return reverse("cmdb:import-detail", args=[self.pk])
