"""Change management rules (ITIL; BIO2 8.32). Plain functions taking the actor, used by the
pages and the API alike; a refusal is a ValidationError with a clear reason and writes nothing.

Status flow:

    draft → submitted → approved | rejected → scheduled → in progress → implemented | failed
          → closed (reviewed);   cancelled from draft, submitted, approved or scheduled.

- A *standard* change (from the catalogue of pre-approved templates) is approved on submission:
  no change advisory board (CAB).
- A *normal* change is approved when REQUIRED_APPROVALS (setting REGIE_CHANGE_APPROVALS_REQUIRED,
  default 2) CAB members have approved and none rejected; one rejection rejects it.
- An *emergency* change needs one CAB member's approval; it may start before that decision
  (from submitted or approved) but is closed only once the CAB has decided and a
  post-implementation review is written.
- Normal and emergency changes need a risk assessment, a test plan, a test result and a
  rollback plan before they are submitted (BIO2 8.32).
- The CAB: active provider staff holding the permission changes.approve_change, which the
  roles team_lead and ict_manager carry (regie/core/roles.py).
- Two changes touching the same item with overlapping planned windows conflict: a warning,
  never a refusal.
"""

import calendar
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from regie.cmdb.impact import analyse
from regie.cmdb.models import ConfigurationItem
from regie.core.tenancy import is_provider_staff

from .choices import CANCELLABLE, INACTIVE, ChangeKind, ChangeStatus, Decision
from .models import Change, ChangeApproval, ChangeCounter, ChangeItem

VIEW_PERMISSION = "changes.view_change"
KEEP_PERMISSION = "changes.change_change"
APPROVE_PERMISSION = "changes.approve_change"
REFERENCE_PREFIX = "WZG"

EDITABLE_FIELDS = (
    "title", "description", "kind", "template", "organisation", "requester", "owner", "risk", "risk_assessment",
    "test_plan", "test_result", "rollback_plan", "planned_start", "planned_end", "ticket",
)


def required_approvals():
    return max(int(getattr(settings, "REGIE_CHANGE_APPROVALS_REQUIRED", 2)), 1)


def may_view(user):
    return user.is_authenticated and user.has_perm(VIEW_PERMISSION)


def may_keep(user):
    return is_provider_staff(user) and user.has_perm(KEEP_PERMISSION)


def is_cab_member(user):
    return is_provider_staff(user) and user.has_perm(APPROVE_PERMISSION)


def _now():
    return timezone.now()


def _require_keeper(actor):
    if not may_keep(actor):
        raise PermissionDenied(_("Only the provider's change staff may do this."))


def _locked(change):
    return Change.all_objects.select_for_update().get(pk=change.pk)


def next_reference(year):
    """WZG-<year>-<sequence>, the sequence counting per year; safe under concurrent use."""
    counter, _created = ChangeCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{REFERENCE_PREFIX}-{year}-{counter.last:04d}"


def window_errors(start, end, start_field="planned_start", end_field="planned_end"):
    if start and end and end <= start:
        return {end_field: [_("The window must end after it starts.")]}
    if bool(start) != bool(end):
        missing = end_field if start else start_field
        return {missing: [_("Give both the start and the end of the window.")]}
    return {}


# --- create and edit (draft) ------------------------------------------------------------------

def _check_values(actor, values, items):
    errors = {}
    organisation = values.get("organisation")
    kind = values.get("kind") or ChangeKind.NORMAL
    template = values.get("template")
    if kind == ChangeKind.STANDARD:
        if template is None:
            errors["template"] = [_("A standard change is made from a standard change template.")]
        elif not template.is_active:
            errors["template"] = [_("This standard change template is no longer in use.")]
    elif template is not None:
        errors["template"] = [_("Only a standard change uses a standard change template.")]
    owner = values.get("owner")
    if owner is not None and not (is_provider_staff(owner)):
        errors["owner"] = [_("The owner of a change is a member of the provider's staff.")]
    requester = values.get("requester")
    if requester is not None and organisation is not None and not (
        requester.organisation_id == organisation.pk or is_provider_staff(requester)
    ):
        errors["requester"] = [_("The requester works for the organisation of the change or for the provider.")]
    errors.update(window_errors(values.get("planned_start"), values.get("planned_end")))
    if items is not None:
        if not items:
            errors["items"] = [_("A change touches at least one configuration item.")]
        elif organisation is not None:
            foreign = [item for item in items
                       if item.organisation_id != organisation.pk and not item.organisation.is_provider]
            if foreign:
                errors["items"] = [_("These items belong to another organisation: %(names)s.") % {
                    "names": ", ".join(item.name for item in foreign)}]
    ticket = values.get("ticket")
    if ticket is not None and organisation is not None and not organisation.is_provider \
            and ticket.organisation_id != organisation.pk:
        errors["ticket"] = [_("The call belongs to another organisation.")]
    return errors


@transaction.atomic
def save_change(actor, instance, values, items=None):
    """Create a change (instance None) or edit a draft. `items`: the configuration items it
    touches (None: unchanged on edit). A standard change takes its template's risk and
    rollback plan where left empty."""
    _require_keeper(actor)
    if instance is not None:
        instance = _locked(instance)
        if instance.status != ChangeStatus.DRAFT:
            raise ValidationError(_("Only a draft change can be edited."))
    merged = {name: getattr(instance, name) for name in EDITABLE_FIELDS} if instance is not None else {}
    merged.update({key: value for key, value in values.items() if key in EDITABLE_FIELDS})
    if instance is None and merged.get("owner") is None:
        merged["owner"] = actor
    if instance is None and merged.get("requester") is None:
        merged["requester"] = actor
    if merged.get("organisation") is None:
        raise ValidationError({"organisation": [_("Choose the organisation of the change.")]})
    if items is None and instance is None:
        items = []
    errors = _check_values(actor, merged, items if items is not None else None)
    if items is None and instance is not None and "organisation" in values:
        errors.update(_check_values(actor, merged, list(_items_of(instance))))
    if errors:
        raise ValidationError(errors)
    template = merged.get("template")
    if merged.get("kind") == ChangeKind.STANDARD and template is not None:
        merged["rollback_plan"] = merged.get("rollback_plan") or template.rollback_plan
        merged["risk"] = template.risk
        merged["description"] = merged.get("description") or template.description
    if instance is None:
        instance = Change(reference=next_reference(timezone.localdate().year), **merged)
    else:
        for key, value in merged.items():
            setattr(instance, key, value)
    instance.save()
    if items is not None:
        wanted = {item.pk for item in items}
        existing = {link.item_id: link for link in ChangeItem.objects.filter(change=instance)}
        for item_id, link in existing.items():
            if item_id not in wanted:
                link.delete()
        for item in items:
            if item.pk not in existing:
                ChangeItem.objects.create(change=instance, item=item)
    return instance


def _items_of(change):
    return ConfigurationItem.objects.unrestricted().filter(change_links__change=change).select_related(
        "organisation")


# --- impact -----------------------------------------------------------------------------------

def impact_of(change):
    """The CMDB impact analysis of a failure of the items the change touches (unscoped)."""
    return analyse(list(ChangeItem.objects.filter(change=change).values_list("item_id", flat=True)))


def impact_snapshot(impact):
    """What is stored on submission: the business services and participants hit."""
    return {
        "analysed_at": _now().isoformat(),
        "item_count": len(impact.items),
        "business_services": [
            {"id": item.id, "name": item.name, "organisation": item.organisation_id}
            for item in impact.business_services
        ],
        "participants": [{"id": pk, "name": name, "items": count} for pk, name, count in impact.participants()],
    }


def scoped_snapshot(snapshot, user):
    """The stored snapshot cut to what `user` may see (their own organisation's part)."""
    if not snapshot:
        return None
    if is_provider_staff(user):
        return {**snapshot, "hidden": 0}
    own = user.organisation_id
    services = [row for row in snapshot.get("business_services", []) if row.get("organisation") == own]
    participants = [row for row in snapshot.get("participants", []) if row.get("id") == own]
    hidden = (len(snapshot.get("business_services", [])) - len(services)
              + len(snapshot.get("participants", [])) - len(participants))
    return {**snapshot, "business_services": services, "participants": participants, "hidden": hidden}


# --- conflicts --------------------------------------------------------------------------------

def conflicting(item_ids, start, end, exclude_pk=None):
    """Every change (unscoped) touching one of `item_ids` whose planned window overlaps [start, end)."""
    if not item_ids or not start or not end:
        return Change.objects.none()
    queryset = Change.objects.unrestricted().filter(
        change_items__item_id__in=list(item_ids), planned_start__lt=end, planned_end__gt=start,
    ).exclude(status__in=INACTIVE)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.distinct().order_by("planned_start", "id")


def conflicts_of(change):
    item_ids = ChangeItem.objects.filter(change=change).values_list("item_id", flat=True)
    return conflicting(list(item_ids), change.planned_start, change.planned_end, exclude_pk=change.pk)


def conflict_references(user, changes):
    """{change pk: [references of the conflicting changes `user` may see]} for many changes at once
    (their `change_items` prefetched or not): one query for all."""
    changes = [c for c in changes if c.planned_start and c.planned_end]
    items_of = {c.pk: {link.item_id for link in c.change_items.all()} for c in changes}
    all_items = set().union(*items_of.values()) if items_of else set()
    if not all_items:
        return {}
    sees_all = is_provider_staff(user)
    rows = list(
        ChangeItem.objects.filter(item_id__in=all_items, change__planned_start__isnull=False)
        .exclude(change__status__in=INACTIVE)
        .values_list("change_id", "item_id", "change__planned_start", "change__planned_end", "change__reference",
                     "change__organisation_id")
    )
    result = {}
    for change in changes:
        refs = []
        for other_id, item_id, start, end, reference, organisation_id in rows:
            if other_id == change.pk or item_id not in items_of[change.pk] or reference in refs:
                continue
            if start < change.planned_end and end > change.planned_start and (
                    sees_all or organisation_id == user.organisation_id):
                refs.append(reference)
        result[change.pk] = sorted(refs)
    return result


def visible_conflicts(user, changes):
    """(changes `user` may see, number of conflicting changes hidden from them)."""
    changes = list(changes)
    visible_ids = set(Change.objects.for_user(user).filter(pk__in=[c.pk for c in changes])
                      .values_list("pk", flat=True))
    shown = [change for change in changes if change.pk in visible_ids]
    return shown, len(changes) - len(shown)


# --- the flow ---------------------------------------------------------------------------------

def _refuse(message, field=None):
    raise ValidationError({field: [message]} if field else message)


@transaction.atomic
def submit(actor, change):
    """Draft → submitted for approval; a standard change is approved at once. Stores the impact."""
    _require_keeper(actor)
    change = _locked(change)
    if change.status != ChangeStatus.DRAFT:
        _refuse(_("Only a draft change can be submitted."), "status")
    errors = {}
    if not ChangeItem.objects.filter(change=change).exists():
        errors["items"] = [_("A change touches at least one configuration item.")]
    if not change.planned_start or not change.planned_end:
        errors["planned_start"] = [_("Plan the window of the change before submitting it.")]
    if change.kind != ChangeKind.STANDARD:
        required = {
            "risk_assessment": _("Assess the risk before submitting the change."),
            "test_plan": _("A test plan is required before submission (BIO2 8.32)."),
            "test_result": _("A test result is required before submission (BIO2 8.32)."),
            "rollback_plan": _("A rollback plan is required before submission (BIO2 8.32)."),
        }
        for name, message in required.items():
            if not getattr(change, name).strip():
                errors[name] = [message]
    if errors:
        raise ValidationError(errors)
    change.impact_snapshot = impact_snapshot(impact_of(change))
    change.submitted_at = _now()
    if change.kind == ChangeKind.STANDARD:
        change.status = ChangeStatus.APPROVED
        change.approval = Decision.APPROVED
        change.decided_at = change.submitted_at
    else:
        change.status = ChangeStatus.SUBMITTED
    change.save()
    if change.status == ChangeStatus.SUBMITTED:
        _notify(APPROVAL_REQUESTED_EVENT, change, cab_members(exclude=actor))
    return change


EMERGENCY_DECIDABLE = (ChangeStatus.SUBMITTED, ChangeStatus.APPROVED, ChangeStatus.IN_PROGRESS,
                       ChangeStatus.IMPLEMENTED, ChangeStatus.FAILED)


@transaction.atomic
def decide(actor, change, approve, comment=""):
    """A CAB member approves or rejects. Normal: approved at REQUIRED_APPROVALS approvals and
    no rejection; one rejection rejects. Emergency: the first decision decides, also after
    the change started."""
    if not is_cab_member(actor):
        _refuse(_("Only a member of the change advisory board may approve or reject a change."), "approver")
    change = _locked(change)
    if change.kind == ChangeKind.STANDARD:
        _refuse(_("A standard change is pre-approved; the change advisory board does not decide on it."),
                "status")
    if ChangeApproval.objects.filter(change=change, approver=actor).exists():
        _refuse(_("You have already decided on this change."), "approver")
    comment = (comment or "").strip()
    if not approve and not comment:
        _refuse(_("Give the reason for the rejection."), "comment")
    if change.kind == ChangeKind.EMERGENCY:
        if change.status not in EMERGENCY_DECIDABLE or change.approval:
            _refuse(_("This change is not waiting for a decision."), "status")
    elif change.status != ChangeStatus.SUBMITTED:
        _refuse(_("Only a change submitted for approval can be approved or rejected."), "status")
    ChangeApproval.objects.create(
        change=change, approver=actor, comment=comment,
        decision=Decision.APPROVED if approve else Decision.REJECTED,
    )
    decided = None
    if not approve:
        decided = Decision.REJECTED
    elif change.kind == ChangeKind.EMERGENCY:
        decided = Decision.APPROVED
    else:
        approvals = ChangeApproval.objects.filter(change=change, decision=Decision.APPROVED).count()
        if approvals >= required_approvals():
            decided = Decision.APPROVED
    if decided:
        change.approval = decided
        change.decided_at = _now()
        if change.status == ChangeStatus.SUBMITTED:
            change.status = ChangeStatus.APPROVED if decided == Decision.APPROVED else ChangeStatus.REJECTED
        change.save()
        others = [person for person in (change.owner, change.requester) if person.pk != actor.pk]
        _notify(DECIDED_EVENT, change, others, comment=comment, decided_by=actor)
    return change


# --- notifications ----------------------------------------------------------------------------

APPROVAL_REQUESTED_EVENT = "change.approval_requested"
DECIDED_EVENT = "change.decided"


def cab_members(exclude=None):
    """The change advisory board now: active provider staff whose role may decide on changes."""
    from regie.core.models import User
    from regie.core.roles import CHANGES_BY_ROLE

    roles = [code for code, permissions in CHANGES_BY_ROLE.items() if APPROVE_PERMISSION in permissions]
    members = User.objects.unrestricted().filter(organisation__kind="provider", is_active=True,
                                                 groups__name__in=roles).distinct().order_by("pk")
    return [member for member in members if exclude is None or member.pk != exclude.pk]


def _notify(event, change, recipients, **context):
    """In-app and e-mail, after the person's preferences; once per change and event (the
    outbox deduplicates), sent only when the transaction commits."""
    from regie.integrations.services import notify

    recipients = [person for person in dict.fromkeys(recipients) if person is not None and person.is_active]
    if recipients:
        notify(event, change, recipients, {"change": change, **context})


@transaction.atomic
def schedule(actor, change, planned_start=None, planned_end=None):
    """Approved → scheduled, optionally moving the window."""
    _require_keeper(actor)
    change = _locked(change)
    if change.status != ChangeStatus.APPROVED:
        _refuse(_("Only an approved change can be scheduled."), "status")
    start = planned_start or change.planned_start
    end = planned_end or change.planned_end
    errors = window_errors(start, end)
    if not start or not end:
        errors.setdefault("planned_start", [_("Plan the window of the change before scheduling it.")])
    if errors:
        raise ValidationError(errors)
    change.planned_start, change.planned_end = start, end
    change.status = ChangeStatus.SCHEDULED
    change.save()
    return change


@transaction.atomic
def start(actor, change, at=None):
    """Scheduled → in progress (an emergency change may start before its approval)."""
    _require_keeper(actor)
    change = _locked(change)
    allowed = (ChangeStatus.SCHEDULED,)
    if change.kind == ChangeKind.EMERGENCY:
        allowed = (ChangeStatus.SUBMITTED, ChangeStatus.APPROVED, ChangeStatus.SCHEDULED)
    if change.status not in allowed:
        _refuse(_("Only a scheduled change can be started."), "status")
    change.actual_start = at or _now()
    change.status = ChangeStatus.IN_PROGRESS
    change.save()
    return change


@transaction.atomic
def complete(actor, change, success, result, at=None):
    """In progress → implemented, or failed (rolled back); the result is required."""
    _require_keeper(actor)
    change = _locked(change)
    if change.status != ChangeStatus.IN_PROGRESS:
        _refuse(_("Only a change in progress can be completed."), "status")
    result = (result or "").strip()
    if not result:
        _refuse(_("Describe the result of the implementation."), "implementation_result")
    end = at or _now()
    if change.actual_start and end < change.actual_start:
        _refuse(_("The change cannot end before it started."), "actual_end")
    change.actual_end = end
    change.implementation_result = result
    change.status = ChangeStatus.IMPLEMENTED if success else ChangeStatus.FAILED
    change.save()
    return change


@transaction.atomic
def close(actor, change, review=""):
    """Implemented or failed → closed with the post-implementation review (optional for a
    standard change). An emergency change is closed only after the CAB has decided."""
    _require_keeper(actor)
    change = _locked(change)
    if change.status not in (ChangeStatus.IMPLEMENTED, ChangeStatus.FAILED):
        _refuse(_("Only an implemented or failed change can be reviewed and closed."), "status")
    review = (review or "").strip()
    if not review and change.kind != ChangeKind.STANDARD:
        _refuse(_("Write the post-implementation review before closing the change."), "review")
    if change.kind == ChangeKind.EMERGENCY and not change.approval:
        _refuse(_("The change advisory board has not yet decided on this emergency change."), "status")
    change.review = review
    change.status = ChangeStatus.CLOSED
    change.save()
    return change


@transaction.atomic
def cancel(actor, change, reason=""):
    _require_keeper(actor)
    change = _locked(change)
    if change.status not in CANCELLABLE:
        _refuse(_("This change can no longer be cancelled."), "status")
    reason = (reason or "").strip()
    if reason:
        change.review = reason
    change.status = ChangeStatus.CANCELLED
    change.save()
    return change


# status wanted → what the transition needs (used by the page's buttons and the API's status-changes)
TRANSITIONS = {
    ChangeStatus.SUBMITTED: "submit",
    ChangeStatus.SCHEDULED: "schedule",
    ChangeStatus.IN_PROGRESS: "start",
    ChangeStatus.IMPLEMENTED: "implemented",
    ChangeStatus.FAILED: "failed",
    ChangeStatus.CLOSED: "close",
    ChangeStatus.CANCELLED: "cancel",
}


def transition(actor, change, status, *, planned_start=None, planned_end=None, at=None, result="", review="",
               reason=""):
    """Move `change` to `status` by the rules above."""
    if status == ChangeStatus.SUBMITTED:
        return submit(actor, change)
    if status == ChangeStatus.SCHEDULED:
        return schedule(actor, change, planned_start, planned_end)
    if status == ChangeStatus.IN_PROGRESS:
        return start(actor, change, at)
    if status in (ChangeStatus.IMPLEMENTED, ChangeStatus.FAILED):
        return complete(actor, change, status == ChangeStatus.IMPLEMENTED, result, at)
    if status == ChangeStatus.CLOSED:
        return close(actor, change, review)
    if status == ChangeStatus.CANCELLED:
        return cancel(actor, change, reason)
    raise ValidationError({"status": [_("A change cannot be moved to this status by hand.")]})


def next_steps(user, change):
    """The statuses `user` may move `change` to now (for the page's buttons)."""
    if not may_keep(user):
        return []
    steps = {
        ChangeStatus.DRAFT: [ChangeStatus.SUBMITTED],
        ChangeStatus.APPROVED: [ChangeStatus.SCHEDULED],
        ChangeStatus.SCHEDULED: [ChangeStatus.IN_PROGRESS],
        ChangeStatus.IN_PROGRESS: [ChangeStatus.IMPLEMENTED, ChangeStatus.FAILED],
        ChangeStatus.IMPLEMENTED: [ChangeStatus.CLOSED],
        ChangeStatus.FAILED: [ChangeStatus.CLOSED],
    }.get(change.status, [])
    if change.kind == ChangeKind.EMERGENCY and change.status in (ChangeStatus.SUBMITTED, ChangeStatus.APPROVED):
        steps = [*steps, ChangeStatus.IN_PROGRESS]
    if change.status in CANCELLABLE:
        steps = [*steps, ChangeStatus.CANCELLED]
    return steps


def may_decide(user, change):
    if not is_cab_member(user) or change.kind == ChangeKind.STANDARD:
        return False
    if change.kind == ChangeKind.EMERGENCY:
        ok = change.status in EMERGENCY_DECIDABLE and not change.approval
    else:
        ok = change.status == ChangeStatus.SUBMITTED
    return ok and not any(a.approver_id == user.pk for a in change.approvals.all())


# --- calendar ---------------------------------------------------------------------------------

@dataclass
class Day:
    date: datetime.date
    in_month: bool
    changes: list


def month_bounds(year, month):
    tz = timezone.get_current_timezone()
    first = datetime.datetime(year, month, 1, tzinfo=tz)
    last_day = calendar.monthrange(year, month)[1]
    end = datetime.datetime(year, month, last_day, tzinfo=tz) + datetime.timedelta(days=1)
    return first, end


def month_grid(year, month, changes):
    """Weeks (Monday first) of Days, each with the changes whose planned window touches that day."""
    tz = timezone.get_current_timezone()
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        row = []
        for day in week:
            day_start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
            day_end = day_start + datetime.timedelta(days=1)
            on_day = [c for c in changes if c.planned_start < day_end and c.planned_end > day_start]
            row.append(Day(date=day, in_month=day.month == month, changes=on_day))
        weeks.append(row)
    return weeks


def conflict_pairs(changes):
    """[(a, b, shared item ids)] of the changes (with `item_ids` set) whose windows overlap on an item."""
    pairs = []
    ordered = sorted(changes, key=lambda c: (c.planned_start, c.pk))
    for index, first in enumerate(ordered):
        for second in ordered[index + 1:]:
            if second.planned_start >= first.planned_end:
                continue
            shared = first.item_ids & second.item_ids
            if shared:
                pairs.append((first, second, shared))
    return pairs


def window_changes(queryset, start, end):
    """The changes of `queryset` with a planned window overlapping [start, end), each with `item_ids`."""
    changes = list(
        queryset.filter(planned_start__lt=end, planned_end__gt=start).exclude(status__in=INACTIVE)
        .select_related("organisation").order_by("planned_start", "id")
    )
    links = ChangeItem.objects.filter(change__in=[c.pk for c in changes]).values_list("change_id", "item_id")
    by_change = {}
    for change_id, item_id in links:
        by_change.setdefault(change_id, set()).add(item_id)
    for change in changes:
        change.item_ids = by_change.get(change.pk, set())
    return changes


def changes_of_item(user, item):
    return Change.objects.for_user(user).filter(Q(change_items__item=item)).distinct()


def changes_of_ticket(user, ticket):
    """The changes raised from a call, as far as `user` may see them."""
    return Change.objects.for_user(user).filter(ticket=ticket).select_related("organisation")


def draft_from_ticket(user, ticket):
    """Initial values of a new change raised from a call (e.g. a request that alters
    infrastructure): its title, description, organisation, requester and affected items."""
    from regie.cmdb.models import AffectedItem

    items = (AffectedItem.objects.for_user(user).filter(ticket=ticket).select_related("item")
             .order_by("item__name"))
    return {
        "title": ticket.title[:200],
        "description": _("Raised from call %(reference)s.") % {"reference": ticket.reference}
        + ("\n\n" + ticket.description if ticket.description else ""),
        "organisation": ticket.organisation_id,
        "requester": ticket.requester_id,
        "owner": user.pk,
        "ticket_reference": ticket.reference,
        "items": "\n".join(link.item.asset_tag or link.item.name for link in items),
    }


# --- the catalogue of standard changes ---------------------------------------------------------

TEMPLATE_FIELDS = ("code", "name", "description", "risk", "implementation_steps", "rollback_plan", "is_active")


def may_keep_templates(user):
    """The board decides what is pre-approved, so it keeps the catalogue of standard changes."""
    return is_cab_member(user)


@transaction.atomic
def save_template(actor, instance, values):
    """Create (instance None) or edit a standard change template. Changes already made from it
    keep what they were approved with; a template in use is retired (inactive), not deleted."""
    if not may_keep_templates(actor):
        raise PermissionDenied(_("Only the change advisory board keeps the standard changes."))
    from .models import StandardChangeTemplate

    template = instance or StandardChangeTemplate()
    for name in TEMPLATE_FIELDS:
        if name in values:
            setattr(template, name, values[name])
    errors = {}
    if not (template.rollback_plan or "").strip():
        errors["rollback_plan"] = [_("A standard change needs a rollback plan (BIO2 8.32).")]
    if not (template.implementation_steps or "").strip():
        errors["implementation_steps"] = [_("Describe the steps that were approved.")]
    try:
        template.full_clean()
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    template.save()
    return template
