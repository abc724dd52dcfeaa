"""Domain rules for calls. Views, the API, e-mail intake and tasks all come here."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regie.core.models import Organisation, User

from .models import ReferenceSequence, Ticket


class ConflictError(Exception):
    """The object changed since the caller read it (optimistic locking)."""


def next_reference(organisation, year=None):
    """`VNL-2026-000123`: per organisation and year, gap-free under concurrency.

    The counter row is incremented with one UPDATE ... SET last = last + 1, which
    the database serialises, so two calls never get the same number."""
    year = year or timezone.localdate().year
    with transaction.atomic():
        ReferenceSequence.objects.get_or_create(organisation=organisation, year=year)
        ReferenceSequence.objects.filter(organisation=organisation, year=year).update(
            last_number=models.F("last_number") + 1
        )
        number = ReferenceSequence.objects.get(organisation=organisation, year=year).last_number
    return f"{organisation.code}-{year}-{number:06d}"


def requester_choices(actor):
    """Who `actor` may register a call for: agents anyone, others only themselves."""
    if actor.has_perm("servicedesk.handle_ticket") and actor.is_provider_staff:
        return User.objects.for_user(actor).filter(is_active=True)
    return User.objects.filter(pk=actor.pk)


def create_ticket(actor, *, title, description="", requester=None, channel=None):
    """Register a call. The organisation is always the requester's, never a free choice."""
    if not actor.has_perm("servicedesk.add_ticket"):
        raise PermissionDenied(_("You may not register calls."))
    requester = requester or actor
    if not requester_choices(actor).filter(pk=requester.pk).exists():
        raise ValidationError({"requester": _("You may not register a call for this person.")})
    if requester.organisation_id is None:
        raise ValidationError({"requester": _("This person belongs to no organisation.")})
    organisation = Organisation.objects.unrestricted().get(pk=requester.organisation_id)
    with transaction.atomic():
        ticket = Ticket(
            organisation=organisation,
            requester=requester,
            created_by=actor,
            title=title,
            description=description,
            reference=next_reference(organisation),
        )
        if channel:
            ticket.channel = channel
        ticket.full_clean()
        ticket.save()
    return ticket


# Fields a requester may still change on their own call; agents may change more.
REQUESTER_FIELDS = {"title", "description"}
AGENT_FIELDS = {"title", "description", "status", "channel"}


def editable_fields(actor, ticket):
    if actor.has_perm("servicedesk.handle_ticket") and actor.is_provider_staff:
        return AGENT_FIELDS
    if ticket.is_open and actor.pk in (ticket.requester_id, ticket.created_by_id):
        return REQUESTER_FIELDS
    return set()


def update_ticket(actor, ticket, changes, *, expected_version=None):
    """Apply `changes` (field → value) if `actor` may; refuse a stale version."""
    allowed = editable_fields(actor, ticket)
    refused = set(changes) - allowed
    if refused:
        raise ValidationError({name: _("You may not change this field.") for name in sorted(refused)})
    with transaction.atomic():
        current = Ticket.all_objects.select_for_update().get(pk=ticket.pk)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError(_("Someone else changed this call in the meantime. Reload and try again."))
        for name, value in changes.items():
            setattr(current, name, value)
        current.version += 1
        current.full_clean()
        current.save()
    return current
