"""Registry of every URL pattern for the tenancy walker (tests/test_tenancy_walker.py).

The walker takes every pattern from `django.urls.get_resolver()` (recursively, the API
router included) and looks it up here by its name: `"namespace:name"` for namespaced
patterns ("servicedesk:ticket-detail", "api:ticket-detail", "core:organisation-detail")
and the bare name otherwise ("login", "health"). A pattern without a name is keyed as
`"route:<pattern>"` (but please name your patterns). **A pattern that is not in ROUTES
makes the walker fail**: when you add a URL, add it here in the same change.

Each entry is a `Route`:

    Route(kind, kwargs=None, method="GET", query=None, provider_sees_canary=False,
          seen_by=("provider_staff",), note="")

`query` (values may use "{probe}", see World.probe) is sent with GET requests: for a
LIST an extra variant (every list is also walked with ?q={probe} and, for HTML, with
?export=csv); for a DETAIL the parameters the view needs to reach its object lookup.

`kind` says how the walker treats the route:

- PUBLIC   anonymous visitors may use it (login, health, password reset, API docs). The
           walker only checks that nobody gets a 500 and that no canary leaks.
- LIST     shows tenant data filtered by scope (lists, search, dashboards, exports,
           forms offering choices). Anonymous: redirect to login (HTML) or 401 (API).
           Municipality B's users: any 2xx/4xx, never a 500, and the canary planted in
           municipality A's data never appears in the body. Provider staff: a 200.
           `provider_sees_canary=True` additionally asserts that the users in `seen_by`
           DO see the canary there (proves the page really lists A's data, so the B
           check is not vacuous).
- DETAIL   takes one object of municipality A. `kwargs(world)` returns the URL kwargs
           (a dict, or a list of dicts to try several objects, e.g. the history page
           of several models). Other kinds may give `kwargs` too when their pattern
           has parameters. Anonymous: login redirect / 401. B's users: 404 (HTML
           and API alike, never 403, never 200). A's account manager and provider
           every user named in `seen_by` (attributes of `world`; provider staff by
           default): not 404 (proves the kwargs are right). POST-only actions set
           `method="POST"`; the walker then POSTs an empty form/body.
- OWN      user-specific pages (security settings, MFA set-up, the caller's own API
           tokens). Anonymous: login redirect / 401; signed-in users get their own page
           (or a redirect), never a 500, never the canary.
- INTERNAL Django or third-party internals (static files, i18n machinery). Skipped, and
           only allowed for patterns whose view lives outside the `regie` package.

`world` is built by `build_world()` below: organisations `venlo` (A) and `roermond` (B)
and the provider, users `a_employee`, `a_account_manager`, `b_employee`,
`b_account_manager`, `provider_staff`, and A's objects carrying `world.canary`:
`a_person` (the requester), `ticket`, `location`, `team`. For other objects use
`world.once("key", builder)` so the object is made once per walk, e.g.

    "servicedesk:attachment-download": Route(DETAIL, kwargs=lambda w: {
        "reference": w.ticket.reference, "pk": w.once("attachment", make_attachment).pk}),

Everything planted for A must be made with factories, and any text in it should contain
`world.canary` so the canary test can see a leak.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PUBLIC = "public"
LIST = "list"
DETAIL = "detail"
OWN = "own"
INTERNAL = "internal"
KINDS = {PUBLIC, LIST, DETAIL, OWN, INTERNAL}


@dataclass(frozen=True)
class Route:
    kind: str
    kwargs: Callable[[World], dict | list[dict]] | None = None
    method: str = "GET"
    query: dict | None = None
    provider_sees_canary: bool = False
    seen_by: tuple = ("provider_staff",)
    note: str = ""

    def __post_init__(self):
        assert self.kind in KINDS, self.kind
        assert self.kind != DETAIL or self.kwargs is not None, "a DETAIL route needs a kwargs builder"


@dataclass
class World:
    canary: str
    provider: Any
    venlo: Any
    roermond: Any
    provider_staff: Any
    a_employee: Any
    a_account_manager: Any
    b_employee: Any
    b_account_manager: Any
    a_person: Any
    ticket: Any
    location: Any
    team: Any
    _made: dict = field(default_factory=dict)

    @property
    def probe(self):
        """The canary minus its last two characters: a search for it finds A's objects, but a
        page that merely echoes the search term does not contain the whole canary."""
        return self.canary[:-2]

    def once(self, key, build):
        """An extra object of municipality A, built on first use."""
        if key not in self._made:
            self._made[key] = build(self)
        return self._made[key]


def build_world():
    """Municipality A (Venlo) with canary-marked objects, municipality B (Roermond), the provider."""
    from regie.core.factories import (
        LocationFactory,
        OrganisationFactory,
        ProviderFactory,
        TeamFactory,
        UserFactory,
    )
    from regie.servicedesk.factories import TicketFactory

    canary = f"Kanarie{secrets.token_hex(4)}"
    provider = ProviderFactory()
    venlo = OrganisationFactory(name=f"Gemeente Venlo {canary}", code="VNL", opening_hours=f"ma-vr {canary}")
    roermond = OrganisationFactory(name="Gemeente Roermond", code="RMD")
    provider_staff = UserFactory(organisation=provider, username="walker.staff",
                                 roles=["first_line", "administrator", "ict_manager"])
    a_person = UserFactory(organisation=venlo, username=f"venlo.{canary.lower()}", first_name=canary,
                           last_name=f"{canary}sen", roles=["employee"])
    a_employee = UserFactory(organisation=venlo, username="walker.venlo.employee", roles=["employee"])
    a_account_manager = UserFactory(organisation=venlo, username="walker.venlo.am", roles=["account_manager"])
    b_employee = UserFactory(organisation=roermond, username="walker.roermond.employee", roles=["employee"])
    b_account_manager = UserFactory(organisation=roermond, username="walker.roermond.am",
                                    roles=["account_manager", "representative"])
    ticket = TicketFactory(requester=a_person, title=f"Printer stuk {canary}",
                           description=f"De printer op de tweede verdieping ({canary}) doet het niet.")
    location = LocationFactory(organisation=venlo, name=f"Stadskantoor {canary}")
    team = TeamFactory(organisation=venlo, name=f"Team {canary}")
    return World(
        canary=canary, provider=provider, venlo=venlo, roermond=roermond, provider_staff=provider_staff,
        a_employee=a_employee, a_account_manager=a_account_manager, b_employee=b_employee,
        b_account_manager=b_account_manager, a_person=a_person, ticket=ticket, location=location, team=team,
    )


# --- builders for extra objects of A --------------------------------------------------------

def _service_of_a(world):
    from regie.catalogue.choices import ServiceGroup
    from regie.catalogue.models import Service

    service = Service.objects.unrestricted().create(
        name=f"Dienst {world.canary}", code=f"dienst-{world.canary.lower()}", group=ServiceGroup.choices[0][0],
        description=world.canary,
    )
    service.participants.add(world.venlo)
    return service


def _calendar_of_a(world):
    from regie.catalogue.models import BusinessCalendar

    return BusinessCalendar.objects.create(
        name=f"Openingstijden {world.canary}", organisation=world.venlo,
        weekly_hours={str(day): [["08:00", "17:00"]] for day in range(5)},
    )


def _attachment_of_a(world):
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from regie.servicedesk.conversation_models import Attachment, attachment_path

    content = f"Logbestand {world.canary}".encode()
    storage_name = default_storage.save(attachment_path(), ContentFile(content))
    return Attachment.all_objects.create(
        ticket=world.ticket, original_name=f"{world.canary}.txt", storage_name=storage_name, size=len(content),
        content_type="text/plain", sha256=hashlib.sha256(content).hexdigest(), uploaded_by=world.a_person,
    )


def _escalation_of_a(world):
    from regie.servicedesk.models import Escalation, EscalationStep

    return Escalation.objects.create(
        ticket=world.ticket, step=EscalationStep.INCIDENT_MANAGER, reason=world.canary,
        raised_by=world.provider_staff,
    )


def _child_ticket_of_a(world):
    from regie.servicedesk.factories import TicketFactory

    return TicketFactory(requester=world.a_person, title=f"Deelmelding {world.canary}", parent=world.ticket)


def _time_entry_of_a(world):
    from regie.servicedesk.models import TimeEntry

    return TimeEntry.all_objects.create(
        ticket=world.ticket, person=world.provider_staff, organisation=world.venlo, minutes=30, note=world.canary,
    )


def _api_token_of_a(world):
    from regie.api.models import ApiToken

    token, _raw = ApiToken.issue(world.a_account_manager, name=world.canary)
    return token


def _history_targets(world):
    """The history tab of every kind of A object that has one."""
    return [
        {"app_label": "servicedesk", "model": "ticket", "pk": world.ticket.pk},
        {"app_label": "core", "model": "organisation", "pk": world.venlo.pk},
        {"app_label": "core", "model": "user", "pk": world.a_person.pk},
        {"app_label": "core", "model": "location", "pk": world.location.pk},
        {"app_label": "core", "model": "team", "pk": world.team.pk},
    ]


A_AND_PROVIDER = ("provider_staff", "a_account_manager")


def _reference(world):
    return {"reference": world.ticket.reference}


def _notification_of_a(world):
    from regie.integrations.factories import NotificationFactory

    return NotificationFactory(user=world.a_person, title=f"Melding {world.canary}", body=world.canary,
                               url=world.ticket.get_absolute_url())


def _calamity_of_a(world):
    """A virus outbreak affecting A, from A's call, with a logged decision and communication."""
    from regie.servicedesk import calamity

    outbreak = calamity.declare(
        world.provider_staff, title=f"Virusuitbraak {world.canary}", kind="virus_outbreak", ticket=world.ticket,
        description=world.canary,
    )
    calamity.add_decision(world.provider_staff, outbreak, decision=f"Mailserver uit {world.canary}",
                          decision_type="shut_down")
    calamity.add_communication(world.provider_staff, outbreak, organisation=world.venlo, channel="phone",
                               message=f"Gebeld {world.canary}")
    return outbreak


def _calamity(world):
    return {"pk": world.once("calamity", _calamity_of_a).pk}


ROUTES: dict[str, Route] = {
    # --- shell, sign-in, health ---
    "home": Route(LIST, note="dashboard with recent calls", provider_sees_canary=True),
    "login": Route(PUBLIC),
    "logout": Route(PUBLIC),
    "mfa-manage": Route(OWN),
    "mfa-setup": Route(OWN),
    "mfa-verify": Route(OWN),
    "password_reset": Route(PUBLIC),
    "password_reset_done": Route(PUBLIC),
    "password_reset_complete": Route(PUBLIC),
    "password_reset_confirm": Route(
        PUBLIC, kwargs=lambda w: {"uidb64": "MQ", "token": "bogus-token"}, note="token checked by the view",
    ),
    "set-language": Route(PUBLIC, note="POST only; stores the language choice"),
    "health": Route(PUBLIC),
    # --- audit trail ---
    "audit:list": Route(LIST, provider_sees_canary=True),
    "audit:export": Route(LIST, provider_sees_canary=True),
    "audit:object": Route(DETAIL, kwargs=_history_targets, seen_by=A_AND_PROVIDER),
    # --- organisations and people ---
    "core:organisation-list": Route(LIST, provider_sees_canary=True),
    "core:organisation-detail": Route(DETAIL, kwargs=lambda w: {"pk": w.venlo.pk}, seen_by=A_AND_PROVIDER),
    "core:person-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "core:person-detail": Route(DETAIL, kwargs=lambda w: {"pk": w.a_person.pk}, seen_by=A_AND_PROVIDER),
    "core:search": Route(LIST, query={"q": "{probe}"}, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    # --- calls (service desk) ---
    "servicedesk:ticket-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "servicedesk:ticket-create": Route(LIST, note="form offers requesters: must not offer A's people"),
    "servicedesk:dashboard": Route(LIST),
    "servicedesk:ticket-detail": Route(DETAIL, kwargs=_reference, seen_by=A_AND_PROVIDER),
    "servicedesk:ticket-update": Route(DETAIL, kwargs=_reference),
    "servicedesk:ticket-transfer": Route(DETAIL, kwargs=_reference, method="POST"),
    "servicedesk:ticket-escalate": Route(DETAIL, kwargs=_reference, method="POST"),
    "servicedesk:escalation-outcome": Route(
        DETAIL, method="POST",
        kwargs=lambda w: {"reference": w.ticket.reference, "pk": w.once("escalation", _escalation_of_a).pk},
    ),
    "servicedesk:ticket-reply": Route(DETAIL, kwargs=_reference, method="POST"),
    "servicedesk:attachment-download": Route(
        DETAIL, kwargs=lambda w: {"reference": w.ticket.reference, "pk": w.once("attachment", _attachment_of_a).pk},
    ),
    "servicedesk:ticket-merge": Route(DETAIL, kwargs=_reference, method="POST"),
    "servicedesk:ticket-link-child": Route(DETAIL, kwargs=_reference, method="POST"),
    "servicedesk:ticket-unlink-child": Route(
        DETAIL, method="POST",
        kwargs=lambda w: {"reference": w.ticket.reference, "child": w.once("child", _child_ticket_of_a).reference},
    ),
    "servicedesk:ticket-rating": Route(DETAIL, kwargs=_reference, method="POST"),
    "servicedesk:ticket-reopen": Route(DETAIL, kwargs=_reference, method="POST"),
    "servicedesk:time-entry-add": Route(DETAIL, kwargs=_reference, method="POST"),
    "servicedesk:time-entry-update": Route(
        DETAIL, method="POST",
        kwargs=lambda w: {"reference": w.ticket.reference, "pk": w.once("time-entry", _time_entry_of_a).pk},
    ),
    "servicedesk:time-entry-delete": Route(
        DETAIL, method="POST",
        kwargs=lambda w: {"reference": w.ticket.reference, "pk": w.once("time-entry", _time_entry_of_a).pk},
        note="the entry is someone else's: provider staff get 400 (refused), B 404",
    ),
    "servicedesk:ticket-triage": Route(DETAIL, kwargs=_reference, note="decision tree; provider agents only"),
    # --- calamities (provider staff; A's contacts read the ones affecting A) ---
    "calamity:list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "calamity:declare": Route(LIST, note="provider agents only; offers participants and staff"),
    "calamity:detail": Route(DETAIL, kwargs=_calamity, seen_by=A_AND_PROVIDER),
    "calamity:status": Route(DETAIL, kwargs=_calamity, method="POST"),
    "calamity:link-incident": Route(DETAIL, kwargs=_calamity, method="POST"),
    "calamity:add-participant": Route(DETAIL, kwargs=_calamity, method="POST"),
    "calamity:add-crisis-team": Route(DETAIL, kwargs=_calamity, method="POST"),
    "calamity:add-decision": Route(DETAIL, kwargs=_calamity, method="POST"),
    "calamity:add-communication": Route(DETAIL, kwargs=_calamity, method="POST"),
    "calamity:complete-phase": Route(
        DETAIL, method="POST",
        kwargs=lambda w: {"pk": _calamity(w)["pk"], "phase_pk": w.once("calamity", _calamity_of_a).phases.first().pk},
    ),
    "calamity:close": Route(DETAIL, kwargs=_calamity),
    # --- service catalogue ---
    "catalogue:service-list": Route(LIST, provider_sees_canary=True),
    "catalogue:service-detail": Route(DETAIL, kwargs=lambda w: {"pk": w.once("service", _service_of_a).pk}),
    # --- notifications (a person's own; anyone else's is 404, provider staff included) ---
    "notifications:list": Route(OWN),
    "notifications:read": Route(
        OWN, method="POST", kwargs=lambda w: {"pk": w.once("notification", _notification_of_a).pk},
        note="A's person's notification: every other user gets 404",
    ),
    "notifications:read-all": Route(OWN, method="POST"),
    "notifications:preferences": Route(OWN),
    # --- API v1 ---
    "api-root": Route(PUBLIC, note="/api/v1: links to the resources"),
    "api:openapi": Route(PUBLIC),
    "api:docs": Route(PUBLIC),
    "api-not-found": Route(PUBLIC, note="catch-all: problem+json 404 for unknown /api/ paths"),
    "api:auth-token": Route(PUBLIC, note="POST username/password(/code) for a token"),
    "api:auth-token-list": Route(OWN),
    "api:auth-token-detail": Route(
        DETAIL, method="DELETE", kwargs=lambda w: {"pk": w.once("api-token", _api_token_of_a).pk},
        seen_by=("a_account_manager",), note="revoking someone else's token is 404",
    ),
    "api:ticket-list": Route(LIST, query={"q": "{probe}"}, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "api:ticket-detail": Route(DETAIL, kwargs=_reference, seen_by=A_AND_PROVIDER),
    "api:ticket-messages": Route(DETAIL, kwargs=_reference, seen_by=A_AND_PROVIDER),
    "api:ticket-time-entries": Route(DETAIL, kwargs=_reference, seen_by=A_AND_PROVIDER),
    "api:ticket-escalations": Route(DETAIL, kwargs=_reference, seen_by=A_AND_PROVIDER),
    "api:ticket-transfers": Route(DETAIL, kwargs=_reference, method="POST"),
    "api:ticket-reopen": Route(DETAIL, kwargs=_reference, method="POST"),
    "api:organisation-list": Route(LIST, provider_sees_canary=True),
    "api:organisation-detail": Route(DETAIL, kwargs=lambda w: {"pk": w.venlo.pk}, seen_by=A_AND_PROVIDER),
    "api:person-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "api:person-detail": Route(DETAIL, kwargs=lambda w: {"pk": w.a_person.pk}, seen_by=A_AND_PROVIDER),
    "api:audit-record-list": Route(LIST, provider_sees_canary=True),
    "api:audit-record-detail": Route(DETAIL, kwargs=lambda w: {"pk": _audit_record_of_a(w).pk}),
    "api:business-calendar-list": Route(LIST, provider_sees_canary=False),
    "api:business-calendar-detail": Route(DETAIL, kwargs=lambda w: {"pk": w.once("calendar", _calendar_of_a).pk}),
    "api:business-calendar-deadline": Route(
        DETAIL, kwargs=lambda w: {"pk": w.once("calendar", _calendar_of_a).pk},
        query={"start": "2026-03-02T09:00:00", "minutes": "60"},
    ),
    "api:business-calendar-working-minutes": Route(
        DETAIL, kwargs=lambda w: {"pk": w.once("calendar", _calendar_of_a).pk},
        query={"start": "2026-03-02T09:00:00", "end": "2026-03-03T09:00:00"},
    ),
}


def _audit_record_of_a(world):
    from regie.core.models import AuditRecord

    return (
        AuditRecord.objects.unrestricted().filter(organisation=world.venlo, object_repr__contains=world.canary)
        .order_by("id").first()
    )


# --- per-area registries ------------------------------------------------------------------
# Larger areas keep their routes in tests/tenancy_routes_<area>.py (a module-level ROUTES
# dict, built with the names above); they are merged here so the walker sees one registry.
def _merge_area_registries():
    import importlib
    from pathlib import Path

    for path in sorted(Path(__file__).parent.glob("tenancy_routes_*.py")):
        module = importlib.import_module(path.stem)
        duplicated = set(module.ROUTES) & set(ROUTES)
        assert not duplicated, f"{path.name} registers routes twice: {sorted(duplicated)}"
        ROUTES.update(module.ROUTES)


_merge_area_registries()
