"""Request fulfilment: request types (the catalogue's forms), service requests (each one
a call of kind service request), their approvals and fulfilment tasks, and delegations."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regie.core.audit import ChangeLoggedModel
from regie.core.tenancy import TenantManager, TenantOwnedModel, TenantQuerySet, is_provider_staff

from .choices import REQUEST_STATUS_COLOURS, Decision, RequestGroup, RequestStatus, Rule, TaskStatus


class RequestTypeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The request catalogue is common to every signed-in person."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self


class RequestTypeManager(models.Manager.from_queryset(RequestTypeQuerySet)):
    def for_user(self, user):
        return self.get_queryset().visible_to(user)

    def unrestricted(self):
        return self.get_queryset()


class RequestType(ChangeLoggedModel):
    """A kind of service request in the catalogue, with its form, approval chain,
    fulfilment tasks and the agreement's rule it enforces.

    `fields`: [{"name", "label", "kind" (FieldKind), "required", "choices", "help"}]
    `approval_steps`: ordered ApprovalStep codes.
    `task_templates`: [{"title", "team"}] (team: the provider's team name)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    group = models.CharField(_("group"), max_length=20, choices=RequestGroup.choices)
    description = models.TextField(_("description"), blank=True)
    service = models.ForeignKey(
        "catalogue.Service", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("service"),
        help_text=_("The catalogue service whose SLA the request follows."),
    )
    fields = models.JSONField(_("form fields"), default=list, blank=True)
    approval_steps = models.JSONField(_("approval chain"), default=list, blank=True)
    task_templates = models.JSONField(_("fulfilment tasks"), default=list, blank=True)
    rule = models.CharField(_("rule"), max_length=30, choices=Rule.choices, blank=True, default="")
    extra_cost = models.BooleanField(
        _("extra-cost work"), default=False,
        help_text=_("An authorised person of the participant must accept the cost before fulfilment."),
    )
    out_of_scope = models.BooleanField(_("outside the agreement"), default=False)
    out_of_scope_text = models.TextField(_("who to turn to"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = RequestTypeManager()

    class Meta:
        ordering = ["group", "name"]
        verbose_name = _("request type")
        verbose_name_plural = _("request types")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("fulfilment:request-new", args=[self.code])


class ServiceRequestQuerySet(TenantQuerySet):
    def visible_to(self, user):
        """Provider staff: all. Within a municipality: an account manager or representative
        every request, a manager also their reports', anyone their own and those waiting
        for their approval."""
        scoped = super().visible_to(user)
        if not user or not user.is_authenticated or not user.has_perm("fulfilment.view_servicerequest"):
            return self.none()
        if is_provider_staff(user) or user.has_perm("servicedesk.view_organisation_tickets"):
            return scoped
        approver = Approval.all_objects.filter(request=OuterRef("pk")).filter(
            Q(approver_id=user.pk) | Q(delegated_from_id=user.pk))
        mine = Q(requester_id=user.pk) | Q(ticket__created_by_id=user.pk) | Q(Exists(approver))
        if user.has_perm("servicedesk.view_team_tickets"):
            mine |= Q(requester__manager_id=user.pk)
        return scoped.filter(mine)


class ServiceRequest(ChangeLoggedModel, TenantOwnedModel):
    """One submitted request: a call (Ticket, kind service request) with the form's values."""

    ticket = models.OneToOneField(
        "servicedesk.Ticket", models.PROTECT, related_name="service_request", verbose_name=_("call")
    )
    request_type = models.ForeignKey(RequestType, models.PROTECT, related_name="requests",
                                     verbose_name=_("request type"))
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                  verbose_name=_("requester"))
    values = models.JSONField(_("submitted values"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=RequestStatus.choices,
                              default=RequestStatus.APPROVAL)
    outcome = models.TextField(_("outcome"), blank=True)
    granted_quota_gb = models.PositiveIntegerField(_("granted extra quota (GB)"), null=True, blank=True)
    framework_contract = models.ForeignKey(
        "cmdb.Contract", models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("framework contract"),
    )
    items = models.ManyToManyField("cmdb.ConfigurationItem", blank=True, related_name="+",
                                   verbose_name=_("configuration items created or changed"))
    cost_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("cost accepted by"),
    )
    cost_accepted_at = models.DateTimeField(_("cost accepted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now, editable=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    objects = TenantManager.from_queryset(ServiceRequestQuerySet)()
    all_objects = models.Manager()

    class Meta(TenantOwnedModel.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [
            models.Index(fields=["organisation", "-created_at", "-id"], name="fulfil_req_org_idx"),
            models.Index(fields=["requester", "-created_at", "-id"], name="fulfil_req_requester_idx"),
        ]

    def __str__(self):
        return f"{self.ticket.reference} {self.request_type}" if self.ticket_id else str(self.request_type)

    @property
    def status_colour(self):
        return REQUEST_STATUS_COLOURS.get(self.status, "secondary")

    def get_absolute_url(self):
        return reverse("fulfilment:request-detail", args=[self.pk])


class PartQuerySet(TenantQuerySet):
    organisation_field = "request__organisation"


class Approval(ChangeLoggedModel):
    """One approval in a request's chain. Steps with the same position are decided in
    parallel (each participant's representative); the next position waits for them.
    `approver` is a person, or empty with `approver_role` for "anyone of the provider in
    that role"."""

    request = models.ForeignKey(ServiceRequest, models.CASCADE, related_name="approvals", verbose_name=_("request"))
    position = models.PositiveSmallIntegerField(_("order"))
    step = models.CharField(_("step"), max_length=30)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("approver"))
    approver_role = models.CharField(_("approver role"), max_length=40, blank=True)
    delegated_from = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("on behalf of"))
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    comment = models.TextField(_("comment"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    requested_at = models.DateTimeField(_("requested at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True)

    objects = TenantManager.from_queryset(PartQuerySet)()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["position", "id"]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        indexes = [models.Index(fields=["approver", "decision"], name="fulfil_approval_who_idx")]

    def __str__(self):
        return f"{self.request_id} #{self.position} {self.step}"

    def audit_organisation_id(self):
        return self.request.organisation_id

    @property
    def step_label(self):
        from .choices import ApprovalStep

        return ApprovalStep(self.step).label if self.step in ApprovalStep.values else self.step


class FulfilmentTaskQuerySet(PartQuerySet):
    def visible_to(self, user):
        """The provider's teams do the work; a participant sees the tasks of requests it sees."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if is_provider_staff(user):
            return self
        return self.filter(request__in=ServiceRequest.objects.for_user(user).values("pk"))


class FulfilmentTask(ChangeLoggedModel):
    request = models.ForeignKey(ServiceRequest, models.CASCADE, related_name="tasks", verbose_name=_("request"))
    position = models.PositiveSmallIntegerField(_("order"), default=1)
    title = models.CharField(_("task"), max_length=200)
    team = models.ForeignKey("core.Team", models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("team"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("assignee"))
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    note = models.TextField(_("note"), blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("done by"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TenantManager.from_queryset(FulfilmentTaskQuerySet)()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["position", "id"]
        verbose_name = _("fulfilment task")
        verbose_name_plural = _("fulfilment tasks")
        permissions = [("fulfil_request", "Can carry out fulfilment tasks")]
        indexes = [models.Index(fields=["team", "status"], name="fulfil_task_team_idx")]

    def __str__(self):
        return self.title

    def audit_organisation_id(self):
        return self.request.organisation_id


class DelegationQuerySet(TenantQuerySet):
    organisation_field = "approver__organisation"


class Delegation(ChangeLoggedModel):
    """While `approver` is away (a period), approvals for them go to `delegate`."""

    approver = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+",
                                 verbose_name=_("approver"))
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                 verbose_name=_("delegate"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))

    objects = TenantManager.from_queryset(DelegationQuerySet)()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["-starts_on", "id"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                              name="fulfil_delegation_period")]

    def __str__(self):
        return f"{self.approver_id} → {self.delegate_id}"

    def audit_organisation_id(self):
        return self.approver.organisation_id
