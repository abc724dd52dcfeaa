"""Domain rules of request fulfilment. Views, the API and the beat tasks all come here.

A service request is a call (servicedesk Ticket, kind service request) with the values of
its type's form, validated here per declared field kind and then against the agreement's
rule of the type (RULES). Its chain of approvals is resolved from roles and relations
when it is submitted; while approval (or acceptance of the cost) is pending the call
waits in "waiting for approval", so its SLA clock stands still. All approvals given →
fulfilment tasks for the provider's teams and the call goes in progress; a rejection
closes it with the reason; the last task done resolves it.
"""

import base64
import datetime
import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from regie.cmdb.choices import CIStatus, RelationKind
from regie.cmdb.models import ConfigurationItem, ConfigurationItemModel, ConfigurationItemType, Relation
from regie.core.models import Organisation, Team, User
from regie.servicedesk.choices import ResolutionCode, TicketKind, TicketStatus
from regie.servicedesk.models import Ticket
from regie.servicedesk.services import _transition, create_ticket
from regie.servicedesk.sla import apply_sla

from .choices import ApprovalStep, Decision, FieldKind, RequestStatus, Rule, TaskStatus
from .models import Approval, Delegation, FulfilmentTask, ServiceRequest

VIEW_PERMISSION = "fulfilment.view_servicerequest"
FULFIL_PERMISSION = "fulfilment.fulfil_request"
# The provider's role that approves "the provider" steps (and assesses purchases).
PROVIDER_APPROVER_ROLE = "team_lead"
# Roles of a participant that may accept extra-cost work on its behalf (§4.10).
COST_ACCEPTING_ROLES = ("account_manager", "representative")
LINK_SALT = "regie.fulfilment.approval-link"
MAX_TEXT = 2000
MAX_FILE_BYTES = 256 * 1024


def retention_days():
    return int(getattr(settings, "REGIE_RESTORE_RETENTION_DAYS", 60))


def reminder_after():
    return datetime.timedelta(hours=int(getattr(settings, "REGIE_APPROVAL_REMINDER_HOURS", 48)))


def approval_timeout():
    return datetime.timedelta(days=int(getattr(settings, "REGIE_APPROVAL_TIMEOUT_DAYS", 14)))


def link_max_age():
    return int(getattr(settings, "REGIE_APPROVAL_LINK_DAYS", 7)) * 24 * 60 * 60


def may_view(user):
    return user.is_authenticated and user.has_perm(VIEW_PERMISSION)


def may_fulfil(user):
    return bool(user.is_authenticated and user.is_provider_staff and user.has_perm(FULFIL_PERMISSION))


# --- the form: one cleaner per field kind -----------------------------------------------------

def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def _clean_text(actor, spec, value):
    if not isinstance(value, str):
        raise ValidationError(_("Enter text."))
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise ValidationError(_("At most %(max)d characters.") % {"max": MAX_TEXT})
    return value


def _clean_choice(actor, spec, value):
    choices = [str(choice) for choice in spec.get("choices") or []]
    if not isinstance(value, str) or value not in choices:
        raise ValidationError(_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)})
    return value


def _pk(value):
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ValueError


def _clean_person(actor, spec, value):
    try:
        pk = _pk(value)
    except ValueError:
        raise ValidationError(_("Choose a person.")) from None
    if not User.objects.for_user(actor).filter(pk=pk, is_active=True).exists():
        raise ValidationError(_("Unknown person."))
    return pk


def _clean_group(actor, spec, value):
    """Rights go to a group, never to a single account (a group may hold one account)."""
    value = _clean_text(actor, spec, value)
    if "@" in value or User.objects.unrestricted().filter(username__iexact=value).exists():
        raise ValidationError(_(
            "“%(value)s” is a personal account. The agreement grants rights only to a group, never to a single "
            "account; name the group (a group may hold just this one account).") % {"value": value})
    return value


def _clean_ci(actor, spec, value):
    try:
        pk = _pk(value)
    except ValueError:
        raise ValidationError(_("Choose a configuration item.")) from None
    if not ConfigurationItem.objects.for_user(actor).filter(pk=pk).exists():
        raise ValidationError(_("Unknown configuration item."))
    return pk


def _clean_model(actor, spec, value):
    try:
        pk = _pk(value)
    except ValueError:
        raise ValidationError(_("Choose a brand and type.")) from None
    if not ConfigurationItemModel.objects.unrestricted().filter(pk=pk).exists():
        raise ValidationError(_("Unknown brand and type."))
    return pk


def _clean_date(actor, spec, value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise ValidationError(_("Enter a date (YYYY-MM-DD).")) from None


def _clean_number(actor, spec, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValidationError(_("Enter a number."))
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValidationError(_("Enter a number.")) from None
    if not number.is_finite() or number < 0 or number > 1_000_000:
        raise ValidationError(_("Enter a number from 0 to 1,000,000."))
    return int(number) if number == number.to_integral_value() else float(number)


def _clean_boolean(actor, spec, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("on", "true", "1", "yes"):
        return True
    if isinstance(value, str) and value.lower() in ("off", "false", "0", "no", ""):
        return False
    raise ValidationError(_("Enter yes or no."))


def _clean_file(actor, spec, value):
    """An upload (UI) or {"name", "content": base64} (API); kept inline, small files only."""
    if isinstance(value, UploadedFile):
        if value.size > MAX_FILE_BYTES:
            raise ValidationError(_("The file is too large (at most 256 KB)."))
        name, data = value.name, value.read()
    elif isinstance(value, dict) and isinstance(value.get("content"), str):
        try:
            data = base64.b64decode(value["content"], validate=True)
        except ValueError:
            raise ValidationError(_("The file content is not valid base64.")) from None
        name = str(value.get("name") or "file")[:200]
    else:
        raise ValidationError(_("Attach a file."))
    if not data or len(data) > MAX_FILE_BYTES:
        raise ValidationError(_("The file is empty or too large (at most 256 KB)."))
    return {"name": name, "size": len(data), "content": base64.b64encode(data).decode()}


CLEANERS = {
    FieldKind.TEXT: _clean_text, FieldKind.CHOICE: _clean_choice, FieldKind.PERSON: _clean_person,
    FieldKind.GROUP: _clean_group, FieldKind.CI: _clean_ci, FieldKind.MODEL: _clean_model,
    FieldKind.DATE: _clean_date, FieldKind.NUMBER: _clean_number, FieldKind.BOOLEAN: _clean_boolean,
    FieldKind.FILE: _clean_file,
}


def clean_values(actor, request_type, raw):
    """The declared fields' values, checked per kind: {name: value} or ValidationError
    with a message per field. Unknown fields are refused."""
    errors = {}
    values = {}
    declared = {spec["name"]: spec for spec in request_type.fields}
    for name in sorted(set(raw) - set(declared)):
        errors[name] = [_("This field is unknown for this request type.")]
    for name, spec in declared.items():
        value = raw.get(name)
        if spec.get("kind") == FieldKind.BOOLEAN and value is None:
            value = False
        if _blank(value) or (spec.get("kind") == FieldKind.BOOLEAN and value is False and spec.get("required")):
            if spec.get("required"):
                errors[name] = [_("This field is required.")]
            continue
        try:
            values[name] = CLEANERS[spec.get("kind", FieldKind.TEXT)](actor, spec, value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return values


# --- the agreement's rules per request type ---------------------------------------------------

WHOLE_FOLDER = re.compile(r"[*?]|\.[A-Za-z0-9]{1,5}$")


def _rule_access(actor, request, values, context):
    if values.get("system") == "Netwerkschijf":
        folder = (values.get("folder") or "").rstrip("\\/")
        if not folder:
            raise ValidationError({"folder": [_("Name the folder on the network share.")]})
        if WHOLE_FOLDER.search(folder.rsplit("\\", 1)[-1].rsplit("/", 1)[-1]):
            raise ValidationError({"folder": [_(
                "Share rights are granted only on a whole folder, never on a single file or part of a folder; "
                "name the folder.")]})


def _rule_mailbox(actor, request, values, context):
    requester = context["requester"]
    if (values.get("mailbox") or "").lower() != (requester.email or "").lower():
        raise ValidationError({"mailbox": [_(
            "Only the owner of a mailbox may delegate it: this is not your mailbox (%(email)s).")
            % {"email": requester.email or "-"}]})
    if values.get("delegate") == requester.pk:
        raise ValidationError({"delegate": [_("Choose someone else than yourself.")]})


def _rule_storage(actor, request, values, context):
    if not values.get("extra_gb"):
        raise ValidationError({"extra_gb": [_("Ask for at least 1 GB.")]})


def _rule_token(actor, request, values, context):
    if values.get("action") == "vervanging":
        old = values.get("old_token")
        if not old:
            raise ValidationError({"old_token": [_("Name the token that is replaced.")]})
        if not ConfigurationItem.objects.unrestricted().filter(pk=old, ci_type__code="rsa-token").exists():
            raise ValidationError({"old_token": [_("This configuration item is not an RSA SecurID token.")]})


def in_backup(item):
    """A system is in back-up when its attributes say so or it is "backed up by" something."""
    flag = (item.attributes or {}).get("backup")
    if flag is True or (isinstance(flag, str) and flag.lower() in ("ja", "yes", "true")):
        return True
    return Relation.objects.unrestricted().filter(source=item, kind=RelationKind.BACKED_UP_BY).exists()


def _rule_restore(actor, request, values, context):
    errors = {}
    today = timezone.localdate()
    point = datetime.date.fromisoformat(values["point_in_time"])
    oldest = today - datetime.timedelta(days=retention_days())
    if point > today:
        errors["point_in_time"] = [_("A restore goes back to a moment in the past.")]
    elif point < oldest:
        errors["point_in_time"] = [_(
            "Back-ups are kept %(days)d days: the oldest point that can be restored is %(oldest)s.")
            % {"days": retention_days(), "oldest": formats.date_format(oldest, "SHORT_DATE_FORMAT")}]
    item = ConfigurationItem.objects.unrestricted().get(pk=values["system"])
    if not in_backup(item):
        errors["system"] = [_("%(item)s is not in back-up, so it cannot be restored.") % {"item": item}]
    if errors:
        raise ValidationError(errors)


def _rule_spam(actor, request, values, context):
    requester = context["requester"]
    if (values.get("recipient") or "").lower() != (requester.email or "").lower():
        raise ValidationError({"recipient": [_("You can only have your own mail released (%(email)s).")
                                             % {"email": requester.email or "-"}]})


def _rule_equipment(actor, request, values, context):
    from regie.cmdb.contracts import check_purchase, valid_framework_contract_for

    model = ConfigurationItemModel.objects.unrestricted().select_related("ci_type").get(pk=values["model"])
    organisation = context["organisation"]
    if not model.is_standard:
        raise ValidationError({"model": [_(
            "%(model)s is not in the standards catalogue; only standard models can be bought.") % {"model": model}]})
    if not values.get("quantity") or values["quantity"] > 50:
        raise ValidationError({"quantity": [_("Order from 1 to 50 pieces.")]})
    contract = valid_framework_contract_for(model, organisation=organisation)
    if contract is None:
        raise ValidationError({"model": [_(
            "No valid framework contract covers %(model)s today, so it cannot be bought.") % {"model": model}]})
    check_purchase(model, contract, organisation=organisation)
    context["framework_contract"] = contract


def _rule_certificate(actor, request, values, context):
    from regie.cmdb.certificates.services import read_upload

    try:
        read_upload(base64.b64decode(values["certificate"]["content"]))
    except ValidationError as exc:
        raise ValidationError({"certificate": exc.messages}) from None
    item = ConfigurationItem.objects.unrestricted().get(pk=values["target"])
    if item.organisation_id != context["organisation"].pk and not item.organisation.is_provider:
        raise ValidationError({"target": [_("%(item)s belongs to another participant.") % {"item": item}]})


RULES = {
    Rule.ACCESS: _rule_access, Rule.MAILBOX_DELEGATION: _rule_mailbox, Rule.EXTRA_STORAGE: _rule_storage,
    Rule.RSA_TOKEN: _rule_token, Rule.RESTORE: _rule_restore, Rule.SPAM_RELEASE: _rule_spam,
    Rule.EQUIPMENT_PURCHASE: _rule_equipment, Rule.CERTIFICATE: _rule_certificate,
}


def out_of_scope_explanation(request_type):
    service = request_type.service
    does = (service.provider_does if service else "") or request_type.description
    return _("This is outside the agreement. What the provider does and does not do: %(does)s Who to turn to: "
             "%(who)s") % {"does": does, "who": request_type.out_of_scope_text or "-"}


# --- approvers --------------------------------------------------------------------------------

def _delegated(person, day):
    delegation = (Delegation.objects.unrestricted().select_related("delegate")
                  .filter(approver=person, starts_on__lte=day, ends_on__gte=day, delegate__is_active=True).first())
    return (delegation.delegate, person) if delegation else (person, None)


def resolve_approvers(request_type, requester, organisation, day=None):
    """[(position, step, approver or None, role, delegated_from)] for the type's chain;
    ValidationError when an approver cannot be found (nothing is then submitted)."""
    day = day or timezone.localdate()
    rows = []
    for position, step in enumerate(request_type.approval_steps, start=1):
        people = []
        if step == ApprovalStep.MANAGER:
            manager = requester.manager
            if manager is None or not manager.is_active:
                raise ValidationError(_("This request needs your manager's approval, but no manager is recorded "
                                        "for you; ask your account manager to record it."))
            people = [manager]
        elif step == ApprovalStep.INFORMATION_ADVISOR:
            advisor = organisation.information_advisor or User.objects.unrestricted().filter(
                organisation=organisation, groups__name="information_advisor", is_active=True).first()
            if advisor is None:
                raise ValidationError(_("This request needs the approval of %(org)s's information advisor, but "
                                        "none is recorded.") % {"org": organisation})
            people = [advisor]
        elif step == ApprovalStep.PROVIDER:
            rows.append((position, step, None, PROVIDER_APPROVER_ROLE, None))
            continue
        elif step == ApprovalStep.REPRESENTATIVES:
            for participant in Organisation.objects.unrestricted().participants().filter(is_active=True) \
                    .select_related("representative"):
                if participant.representative is None:
                    raise ValidationError(_("%(org)s has no representative recorded.") % {"org": participant})
                people.append(participant.representative)
        for person in people:
            approver, delegated_from = _delegated(person, day)
            rows.append((position, step, approver, "", delegated_from))
    return rows


def may_decide(user, approval):
    if not user.is_authenticated:
        return False
    if approval.approver_id is not None:
        return user.pk in (approval.approver_id, approval.delegated_from_id)
    return user.is_provider_staff and user.has_role(approval.approver_role)


def may_accept_cost(user, request):
    if not user.is_authenticated or user.organisation_id != request.organisation_id:
        return False
    organisation = request.organisation
    return (user.pk in (organisation.account_manager_id, organisation.representative_id)
            or user.has_role(*COST_ACCEPTING_ROLES))


def _current_q():
    """Pending approvals with no earlier pending position in the same request."""
    earlier = Approval.all_objects.filter(request=OuterRef("request"), decision=Decision.PENDING,
                                          position__lt=OuterRef("position"))
    return Q(decision=Decision.PENDING, request__status=RequestStatus.APPROVAL) & ~Q(Exists(earlier))


def waiting_approvals(user):
    """The approvals waiting for `user` now (their own, delegated to them, or their provider role's)."""
    if not user.is_authenticated:
        return Approval.objects.none()
    mine = Q(approver_id=user.pk) | Q(delegated_from_id=user.pk)
    if user.is_provider_staff and user.role_codes:
        mine |= Q(approver__isnull=True, approver_role__in=list(user.role_codes))
    return Approval.all_objects.filter(_current_q()).filter(mine)


def waiting_cost_acceptances(user):
    if not user.is_authenticated or user.organisation_id is None or user.is_provider_staff:
        return ServiceRequest.objects.none()
    queryset = ServiceRequest.all_objects.filter(organisation_id=user.organisation_id,
                                                 status=RequestStatus.COST_ACCEPTANCE)
    organisation = user.organisation
    if user.pk in (organisation.account_manager_id, organisation.representative_id) or user.has_role(
            *COST_ACCEPTING_ROLES):
        return queryset
    return ServiceRequest.objects.none()


def waiting_count(user):
    return waiting_approvals(user).count() + waiting_cost_acceptances(user).count()


# --- submitting -------------------------------------------------------------------------------

def _move_ticket(ticket, status, now, **fields):
    """The call follows the request: a status transition with the SLA clock kept right."""
    current = Ticket.all_objects.select_for_update().get(pk=ticket.pk)
    old = current.status
    for name, value in fields.items():
        setattr(current, name, value)
    if status != old:
        current.status = status
        _transition(current, old, status, now)
    apply_sla(current)
    current.version += 1
    current.save()
    return current


def _summary(request_type, values):
    lines = []
    for spec in request_type.fields:
        if spec["name"] in values:
            value = values[spec["name"]]
            if isinstance(value, dict):
                value = value.get("name", "")
            lines.append(f"{spec['label']}: {value}")
    return "\n".join(lines)


def submit_request(actor, request_type, raw_values, *, requester=None, now=None):
    """Submit a request of `request_type` with the form's `raw_values`. Refusals (a field,
    the type's rule, a missing approver, an out-of-scope item) raise ValidationError;
    nothing is written then."""
    now = now or timezone.now()
    requester = requester or actor
    if not request_type.is_active:
        raise ValidationError(_("This request type is no longer offered."))
    if request_type.out_of_scope:
        raise ValidationError(out_of_scope_explanation(request_type))
    if not actor.has_perm("servicedesk.add_ticket"):
        raise PermissionDenied(_("You may not submit requests."))
    if requester.organisation_id is None:
        raise ValidationError({"requester": [_("This person belongs to no organisation.")]})
    organisation = Organisation.objects.unrestricted().get(pk=requester.organisation_id)
    values = clean_values(actor, request_type, raw_values or {})
    context = {"requester": requester, "organisation": organisation}
    rule = RULES.get(request_type.rule)
    if rule is not None:
        rule(actor, request_type, values, context)
    approvers = resolve_approvers(request_type, requester, organisation, now.date())
    with transaction.atomic():
        service = request_type.service if request_type.service and request_type.service.is_active else None
        ticket = create_ticket(
            actor, title=f"{request_type.name} – {requester.get_full_name() or requester.username}"[:200],
            description=_summary(request_type, values), requester=requester, now=now,
            kind=TicketKind.SERVICE_REQUEST, service=service,
        )
        request = ServiceRequest.objects.unrestricted().create(
            organisation=organisation, ticket=ticket, request_type=request_type, requester=requester,
            values=values, created_at=now, framework_contract=context.get("framework_contract"),
        )
        for position, step, approver, role, delegated_from in approvers:
            Approval.all_objects.create(request=request, position=position, step=step, approver=approver,
                                        approver_role=role, delegated_from=delegated_from)
        if request_type.extra_cost:
            request.status = RequestStatus.COST_ACCEPTANCE
            request.save(update_fields=["status"])
            request.ticket = _move_ticket(ticket, TicketStatus.WAITING_FOR_APPROVAL, now, extra_cost=True)
            _notify_cost(request)
        elif approvers:
            request.ticket = _move_ticket(ticket, TicketStatus.WAITING_FOR_APPROVAL, now)
            _request_next_approvals(request, now)
        else:
            _start_fulfilment(request, now)
    return request


# --- approvals --------------------------------------------------------------------------------

def _request_next_approvals(request, now):
    current = list(Approval.all_objects.filter(_current_q(), request=request, requested_at__isnull=True)
                   .select_related("approver"))
    for approval in current:
        approval.requested_at = now
        approval.save(update_fields=["requested_at"])
        _notify_approver(approval)


def _lock(request):
    return ServiceRequest.all_objects.select_for_update().select_related(
        "request_type", "ticket", "organisation").get(pk=request.pk)


def decide(actor, approval, approve, comment="", *, now=None):
    """Approve or reject one approval. Refused: someone who is not the approver (or their
    delegate), a second decision, a step whose turn has not come, a rejection without a
    reason, a provider approval of an application purchase without the streaming assessment."""
    now = now or timezone.now()
    comment = (comment or "").strip()
    with transaction.atomic():
        request = _lock(approval.request)
        approval = Approval.all_objects.select_for_update().get(pk=approval.pk)
        if not may_decide(actor, approval):
            raise PermissionDenied(_("You are not an approver of this step."))
        if approval.decision != Decision.PENDING:
            raise ValidationError({"decision": [_("This approval has already been decided (%(decision)s).")
                                                % {"decision": approval.get_decision_display()}]})
        if request.status != RequestStatus.APPROVAL:
            raise ValidationError({"decision": [_("This request is not waiting for approval.")]})
        if Approval.all_objects.filter(request=request, decision=Decision.PENDING,
                                       position__lt=approval.position).exists():
            raise ValidationError({"decision": [_("Earlier approvals in the chain are still pending.")]})
        if not approve and not comment:
            raise ValidationError({"comment": [_("Give the reason for the rejection.")]})
        if (approve and request.request_type.rule == Rule.APPLICATION_PURCHASE
                and approval.step == ApprovalStep.PROVIDER and not comment):
            raise ValidationError({"comment": [_(
                "Record the provider's assessment of the application's suitability for application streaming.")]})
        approval.decision = Decision.APPROVED if approve else Decision.REJECTED
        approval.comment = comment
        approval.decided_by = actor
        approval.decided_at = now
        approval.save()
        if not approve:
            _reject(request, _("Rejected by %(who)s: %(reason)s") % {"who": actor, "reason": comment}, now)
        elif not Approval.all_objects.filter(request=request, decision=Decision.PENDING).exists():
            _start_fulfilment(request, now)
        else:
            _request_next_approvals(request, now)
    return request


def _reject(request, reason, now):
    request.status = RequestStatus.REJECTED
    request.outcome = reason
    request.completed_at = now
    request.save(update_fields=["status", "outcome", "completed_at"])
    request.ticket = _move_ticket(request.ticket, TicketStatus.CLOSED, now, resolution_text=reason)
    _notify("fulfilment.rejected", request, [request.requester], reason=reason)


def accept_cost(actor, request, accept=True, comment="", *, now=None):
    """An authorised person of the participant accepts (or declines) the extra cost."""
    now = now or timezone.now()
    with transaction.atomic():
        request = _lock(request)
        if not may_accept_cost(actor, request):
            raise PermissionDenied(_("Only the participant's account manager or representative accepts the cost."))
        if request.status != RequestStatus.COST_ACCEPTANCE:
            raise ValidationError({"decision": [_("This request is not waiting for acceptance of the cost.")]})
        if not accept:
            if not (comment or "").strip():
                raise ValidationError({"comment": [_("Give the reason for declining.")]})
            _reject(request, _("Cost declined by %(who)s: %(reason)s") % {"who": actor, "reason": comment}, now)
            return request
        request.cost_accepted_by = actor
        request.cost_accepted_at = now
        if Approval.all_objects.filter(request=request, decision=Decision.PENDING).exists():
            request.status = RequestStatus.APPROVAL
            request.save(update_fields=["cost_accepted_by", "cost_accepted_at", "status"])
            _request_next_approvals(request, now)
        else:
            request.save(update_fields=["cost_accepted_by", "cost_accepted_at"])
            _start_fulfilment(request, now)
    return request


# --- fulfilment -------------------------------------------------------------------------------

def _team(name, cache):
    if name not in cache:
        cache[name] = Team.objects.unrestricted().filter(name=name, organisation__kind="provider").first()
    return cache[name]


def _start_fulfilment(request, now):
    request_type = request.request_type
    values = request.values
    templates = list(request_type.task_templates) or [{"title": request_type.name, "team": ""}]
    if request_type.rule == Rule.NEW_EMPLOYEE and not values.get("token"):
        templates = [t for t in templates if "token" not in t["title"].lower()]
    teams = {}
    tasks = [(t["title"], _team(t.get("team", ""), teams)) for t in templates]
    if request_type.rule == Rule.LEAVER:
        leaver_team = _team("Werkplek", teams)
        for item in ConfigurationItem.objects.unrestricted().filter(
                assigned_to_id=values.get("person")).exclude(status__in=[CIStatus.RETIRED, CIStatus.DISPOSED]):
            tasks.append((_("Withdraw %(item)s") % {"item": item}, leaver_team))
    for position, (title, team) in enumerate(tasks, start=1):
        FulfilmentTask.all_objects.create(request=request, position=position, title=title[:200], team=team)
    request.status = RequestStatus.FULFILMENT
    fields = ["status"]
    if request_type.rule == Rule.EXTRA_STORAGE:
        request.granted_quota_gb = int(values.get("extra_gb") or 0)
        fields.append("granted_quota_gb")
    request.save(update_fields=fields)
    first_team = tasks[0][1] if tasks else None
    request.ticket = _move_ticket(request.ticket, TicketStatus.IN_PROGRESS, now, team=first_team)


def complete_task(actor, task, note="", *, now=None):
    """A provider agent marks a task done; the last one fulfils the request (its effects:
    CIs created, certificate registered, …) and resolves the call."""
    now = now or timezone.now()
    if not may_fulfil(actor):
        raise PermissionDenied(_("Only the provider's agents carry out fulfilment tasks."))
    with transaction.atomic():
        request = _lock(task.request)
        task = FulfilmentTask.all_objects.select_for_update().get(pk=task.pk)
        if task.status == TaskStatus.DONE:
            raise ValidationError({"status": [_("This task is already done.")]})
        if request.status != RequestStatus.FULFILMENT:
            raise ValidationError({"status": [_("This request is not being fulfilled.")]})
        task.status = TaskStatus.DONE
        task.done_by = actor
        task.done_at = now
        task.note = (note or "").strip()[:MAX_TEXT]
        task.save()
        if not FulfilmentTask.all_objects.filter(request=request, status=TaskStatus.OPEN).exists():
            _fulfil(actor, request, now)
    return task


def _fulfil(actor, request, now):
    effect = EFFECTS.get(request.request_type.rule)
    outcome = effect(actor, request, now) if effect else ""
    request.status = RequestStatus.FULFILLED
    request.completed_at = now
    request.outcome = outcome or _("Fulfilled.")
    request.save(update_fields=["status", "completed_at", "outcome"])
    request.ticket = _move_ticket(request.ticket, TicketStatus.RESOLVED, now, resolution_code=ResolutionCode.SOLVED,
                                  resolution_text=request.outcome)
    from regie.servicedesk import notifications

    notifications.resolved(request.ticket)


def _effect_equipment(actor, request, now):
    model = ConfigurationItemModel.objects.unrestricted().get(pk=request.values["model"])
    user = User.objects.unrestricted().filter(pk=request.values.get("user")).first()
    created = []
    for number in range(1, int(request.values.get("quantity") or 1) + 1):
        item = ConfigurationItem.all_objects.create(
            organisation=request.organisation, ci_type_id=model.ci_type_id, model=model,
            name=f"{model} {request.ticket.reference}-{number}", status=CIStatus.IN_USE if user else CIStatus.IN_STOCK,
            assigned_to=user, framework_contract=request.framework_contract, purchase_date=now.date(),
            notes=_("Delivered for request %(reference)s.") % {"reference": request.ticket.reference},
        )
        created.append(item)
    request.items.add(*created)
    return _("Delivered and registered: %(items)s.") % {"items": ", ".join(str(item) for item in created)}


def _effect_token(actor, request, now):
    values = request.values
    if values.get("action") not in ("uitgifte", "vervanging"):
        return ""
    token_type = ConfigurationItemType.objects.unrestricted().filter(code="rsa-token").first()
    if token_type is None:
        return ""
    holder = User.objects.unrestricted().get(pk=values["holder"])
    token = ConfigurationItem.all_objects.create(
        organisation=request.organisation, ci_type=token_type, name=f"RSA-token {holder} ({request.ticket.reference})",
        assigned_to=holder, status=CIStatus.IN_USE,
        notes=_("Issued for request %(reference)s.") % {"reference": request.ticket.reference},
    )
    request.items.add(token)
    if values.get("old_token"):
        old = ConfigurationItem.all_objects.get(pk=values["old_token"])
        old.status = CIStatus.RETIRED
        old.assigned_to = None
        old.save()
        request.items.add(old)
    return _("Token %(token)s issued to %(holder)s.") % {"token": token, "holder": holder}


def _effect_certificate(actor, request, now):
    from regie.cmdb.certificates.services import import_certificates

    item = ConfigurationItem.all_objects.get(pk=request.values["target"])
    outcome = import_certificates(
        actor, organisation=request.organisation, data=base64.b64decode(request.values["certificate"]["content"]),
        items=[item], notes=_("Installed for request %(reference)s.") % {"reference": request.ticket.reference},
    )
    request.items.add(item)
    return _("Certificate %(certificates)s registered, installed on %(item)s.") % {
        "certificates": ", ".join(str(c) for c in outcome.certificates), "item": item}


def _effect_storage(actor, request, now):
    return _("Extra quota granted: %(gb)d GB.") % {"gb": request.granted_quota_gb or 0}


EFFECTS = {
    Rule.EQUIPMENT_PURCHASE: _effect_equipment, Rule.RSA_TOKEN: _effect_token, Rule.CERTIFICATE: _effect_certificate,
    Rule.EXTRA_STORAGE: _effect_storage,
}


# --- delegation -------------------------------------------------------------------------------

def save_delegation(actor, delegate, starts_on, ends_on):
    """An approver names a delegate for a period (their own approvals only)."""
    errors = {}
    if delegate is None or delegate.pk == actor.pk or not delegate.is_active:
        errors["delegate"] = [_("Choose another active person.")]
    elif delegate.organisation_id != actor.organisation_id:
        errors["delegate"] = [_("The delegate must belong to your own organisation.")]
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = [_("The end lies before the start.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        delegation = Delegation.all_objects.create(approver=actor, delegate=delegate, starts_on=starts_on,
                                                   ends_on=ends_on)
        # Approvals already waiting in the period go to the delegate too.
        if starts_on <= timezone.localdate() <= ends_on:
            for approval in Approval.all_objects.filter(approver=actor, decision=Decision.PENDING,
                                                        delegated_from__isnull=True):
                approval.approver = delegate
                approval.delegated_from = actor
                approval.save()
    return delegation


# --- the signed link in the approval e-mail ---------------------------------------------------

def approval_token(approval, user):
    return signing.dumps({"a": approval.pk, "u": user.pk}, salt=LINK_SALT, compress=True)


def read_token(token):
    """(approval, user) of a link, or ValidationError when forged or expired."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=link_max_age())
    except signing.SignatureExpired:
        raise ValidationError(_("This link has expired; decide on the approval page instead.")) from None
    except signing.BadSignature:
        raise ValidationError(_("This link is not valid.")) from None
    approval = Approval.all_objects.select_related("request__ticket", "request__request_type").filter(
        pk=data.get("a")).first()
    user = User.objects.unrestricted().filter(pk=data.get("u"), is_active=True).first()
    if approval is None or user is None:
        raise ValidationError(_("This link is not valid."))
    return approval, user


def approval_link(approval, user):
    return reverse("fulfilment:approval-link", args=[approval_token(approval, user)])


# --- notifications ----------------------------------------------------------------------------

def _notify(event, request, recipients, occurrence=None, **context):
    from regie.integrations.services import notify

    recipients = [person for person in dict.fromkeys(recipients) if person is not None and person.is_active]
    if recipients:
        notify(event, request, recipients, {"request": request, **context}, occurrence=occurrence)


def _approvers_of(approval):
    if approval.approver_id is not None:
        return [approval.approver]
    return list(User.objects.unrestricted().filter(organisation__kind="provider", is_active=True,
                                                  groups__name=approval.approver_role))


def _notify_approver(approval, reminder=False):
    from regie.integrations.services import absolute_url

    request = approval.request
    for person in _approvers_of(approval):
        event = "fulfilment.approval_reminder" if reminder else "fulfilment.approval_requested"
        occurrence = f"approval-{approval.pk}-{person.pk}-{approval.reminded_at or ''}"
        _notify(event, request, [person], occurrence=occurrence, approval=approval,
                decide_url=absolute_url(approval_link(approval, person)))


def _notify_cost(request):
    organisation = request.organisation
    people = [organisation.account_manager, organisation.representative]
    if not any(people):
        people = list(User.objects.unrestricted().filter(organisation=organisation, is_active=True,
                                                        groups__name__in=COST_ACCEPTING_ROLES))
    _notify("fulfilment.cost_acceptance", request, people)


# --- beat: reminders and time-out -------------------------------------------------------------

def remind_and_expire(now=None):
    """Remind approvers of approvals waiting longer than REGIE_APPROVAL_REMINDER_HOURS (once
    per period) and reject requests whose current approval waited past
    REGIE_APPROVAL_TIMEOUT_DAYS. Idempotent: each row is claimed by a conditional update."""
    now = now or timezone.now()
    reminded = expired = 0
    waiting = Approval.all_objects.filter(_current_q(), requested_at__isnull=False)
    for approval in waiting.filter(requested_at__lte=now - approval_timeout()).select_related("request"):
        with transaction.atomic():
            request = _lock(approval.request)
            current = Approval.all_objects.select_for_update().get(pk=approval.pk)
            if current.decision == Decision.PENDING:
                current.decision = Decision.EXPIRED
                current.decided_at = now
                current.save()  # a decision, so through the audit trail
                if request.status == RequestStatus.APPROVAL:
                    _reject(request, _("No decision within %(days)d days: the request has been closed.")
                            % {"days": approval_timeout().days}, now)
                expired += 1
    due = now - reminder_after()
    for approval in waiting.filter(requested_at__lte=due).filter(
            Q(reminded_at__isnull=True) | Q(reminded_at__lte=due)).select_related("request", "approver"):
        with transaction.atomic():
            claimed = Approval.all_objects.filter(pk=approval.pk, decision=Decision.PENDING).filter(
                Q(reminded_at__isnull=True) | Q(reminded_at__lte=due)).update(reminded_at=now)
            if claimed:
                approval.reminded_at = now
                _notify_approver(approval, reminder=True)
                reminded += 1
    return {"reminded": reminded, "expired": expired}
