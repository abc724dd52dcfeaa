"""Demo data: the provider and the four municipalities of the agreement, a user for
every role and a few hundred calls spread over time. Reproducible with a seed."""

import random
from datetime import timedelta

import factory.random
from django.db import transaction
from django.utils import timezone

from .choices import LocationKind, OrganisationKind, TeamLine
from .factories import LocationFactory, OrganisationFactory, TeamFactory, UserFactory
from .models import Organisation, Team

# (name, code, workplaces, town hall, outlying sites, helpdesk hours)
MUNICIPALITIES = [
    ("Gemeente Venlo", "VNL", 1100, "Stadskantoor Venlo", ["Stadswinkel Blerick", "Gemeentewerf Venlo"],
     "ma–vr 08:00–17:00"),
    ("Gemeente Roermond", "RMD", 750, "Stadhuis Roermond", ["Stadswinkel Roermond", "Milieustraat Roermond"],
     "ma–vr 08:00–17:00"),
    ("Gemeente Weert", "WRT", 600, "Stadhuis Weert", ["Gemeentewerf Weert"], "ma–vr 08:30–17:00"),
    ("Gemeente Nederweert", "NDW", 200, "Gemeentehuis Nederweert", ["Gemeentewerf Nederweert"], "ma–vr 08:30–16:30"),
]

# username suffix, role, first name, last name, job title
PARTICIPANT_PEOPLE = [
    ("medewerker", "employee", "Sanne", "Jansen", "Medewerker Burgerzaken"),
    ("leidinggevende", "manager", "Peter", "de Vries", "Teamleider Burgerzaken"),
    ("accountmanager", "account_manager", "Anouk", "Peeters", "Accountmanager ICT"),
    ("applicatiebeheerder", "application_admin", "Ruud", "Hendriks", "Applicatiebeheerder"),
    ("i-adviseur", "information_advisor", "Lotte", "Willems", "Informatieadviseur"),
    ("vertegenwoordiger", "representative", "Frank", "Smeets", "Gemeentesecretaris"),
]

PROVIDER_PEOPLE = [
    ("helpdesk", "first_line", "Kim", "Bakker", "Medewerker servicedesk (1e lijn)"),
    ("beheerder", "engineer", "Tom", "Verhoeven", "Systeembeheerder (2e lijn)"),
    ("piket", "on_call_engineer", "Joris", "Gielen", "Dienstdoende beheerder"),
    ("incidentmanager", "incident_manager", "Eva", "Maessen", "Incidentmanager"),
    ("teamleider", "team_lead", "Bas", "Coenen", "Teamleider servicedesk & servicemanagement"),
    ("manager-ict", "ict_manager", "Ingrid", "Thijssen", "Manager ICT"),
    ("functioneelbeheer", "administrator", "Mark", "Vossen", "Functioneel beheerder Regie"),
]

TEAMS = [
    ("Servicedesk 1e lijn", TeamLine.FIRST, ["helpdesk"]),
    ("Werkplek", TeamLine.SECOND, ["beheerder"]),
    ("Netwerk", TeamLine.SECOND, ["piket"]),
    ("Servers & opslag", TeamLine.SECOND, ["beheerder", "piket"]),
    ("Applicaties", TeamLine.SECOND, ["beheerder"]),
    ("Management", TeamLine.MANAGEMENT, ["incidentmanager", "teamleider", "manager-ict"]),
]

CALL_TITLES = [
    "Printer geeft papierstoring", "Kan niet inloggen op de virtuele werkplek", "Outlook start niet",
    "Wachtwoord verlopen", "Toegang nodig tot gedeelde map Burgerzaken", "Scanner op 1e verdieping werkt niet",
    "Telefoon doet het niet na verhuizing", "Applicatie start niet vanuit startmenu", "Traag netwerk in raadzaal",
    "Extra opslagruimte aangevraagd", "Certificaat website verloopt binnenkort", "Mail komt in spam terecht",
    "Nieuwe medewerker heeft account nodig", "Laptop valt steeds uit", "Wifi in stadswinkel valt weg",
    "Vraag over thuiswerken met token", "Teams-vergadering zonder geluid", "Monitor flikkert",
]


class DemoUserFactory(UserFactory):
    """Demo people work in Dutch."""

    preferred_language = "nl"


def demo_exists():
    return Organisation.objects.unrestricted().filter(kind=OrganisationKind.PARTICIPANT).exists()


def ensure_reference_data():
    """The reference data the migrations seed (catalogue, item types, licence products, request
    types, standard changes, calamity decision tree), created again where missing: a flushed
    database (a transactional test) has none. Every loader is idempotent and runs on the
    migration state's models, as in the migrations themselves."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from regie.catalogue.seed import load as load_catalogue
    from regie.changes.seed import load as load_templates
    from regie.cmdb.licences.seed import seed_products
    from regie.cmdb.seed import load as load_item_types
    from regie.fulfilment.seed import ensure_loaded as load_request_types
    from regie.servicedesk.calamity_seed import load as load_decision_tree

    state = MigrationLoader(connection).project_state().apps
    load_catalogue(state)
    load_item_types(state)
    seed_products(state.get_model("licences", "LicenceProduct"))
    load_request_types(state)
    load_templates(state)
    load_decision_tree(state)


@transaction.atomic
def build_demo(password, seed=2026, calls=300, extra_employees=12):
    """Build the demo set into an empty database. Returns the demo usernames by side."""
    ensure_reference_data()
    from django.contrib.auth.models import Group

    from regie.catalogue.services import priority_for
    from regie.servicedesk.choices import TicketChannel, TicketStatus
    from regie.servicedesk.factories import TicketFactory
    from regie.servicedesk.models import Ticket
    from regie.servicedesk.sla import apply_sla

    rng = random.Random(seed)
    factory.random.reseed_random(seed)
    Group.objects.get_or_create(name="employee")
    logins = {"provider": [], "participants": {}}

    provider = OrganisationFactory(
        name="ICT NML", code="NML", kind=OrganisationKind.PROVIDER, email="servicedesk@ictnml.example.nl",
        phone="077 000 0000", opening_hours="ma–vr 07:30–17:30",
    )
    dc_venlo = LocationFactory(organisation=provider, name="Datacenter Venlo", kind=LocationKind.DATACENTER)
    dc_roermond = LocationFactory(organisation=provider, name="Datacenter Roermond", kind=LocationKind.DATACENTER)
    del dc_venlo, dc_roermond
    staff = {}
    for username, role, first, last, title in PROVIDER_PEOPLE:
        staff[username] = DemoUserFactory(
            username=username, first_name=first, last_name=last, job_title=title, organisation=provider,
            password=password, is_demo=True, roles=[role],
        )
        logins["provider"].append((username, role))
    for name, line, members in TEAMS:
        team = TeamFactory(organisation=provider, name=name, line=line)
        team.members.set([staff[m] for m in members])
        team.lead = staff["teamleider"] if line != TeamLine.MANAGEMENT else staff["manager-ict"]
        team.save()

    supplier = OrganisationFactory(name="Werkplek Leverancier BV", code="WLB", kind=OrganisationKind.SUPPLIER)
    TeamFactory(organisation=supplier, name="Werkplek Leverancier BV (3e lijn)", line=TeamLine.THIRD)
    DemoUserFactory(username="leverancier", first_name="Dirk", last_name="Kessels", organisation=supplier,
                password=password, is_demo=True, roles=["supplier"])
    DemoUserFactory(username="auditor", first_name="Marieke", last_name="Linders", organisation=provider,
                job_title="Auditor (extern, alleen lezen)", password=password, is_demo=True, roles=["auditor"])
    logins["provider"] += [("leverancier", "supplier"), ("auditor", "auditor")]

    from regie.catalogue.models import BusinessCalendar, Service

    teams = {team.name: team for team in Team.objects.unrestricted().filter(organisation=provider)}
    owner_by_group = {"system_setup": "Servers & opslag", "hardware": "Werkplek", "applications": "Applicaties",
                      "advice": "Management"}
    services_in_scope = list(Service.objects.unrestricted().filter(is_out_of_scope=False))
    second_line = [team for team in teams.values() if team.line == TeamLine.SECOND]
    for service in services_in_scope:
        service.owner_team = teams.get(owner_by_group.get(service.group))
        service.save()

    now = timezone.now()
    for name, code, workplaces, town_hall, sites, hours in MUNICIPALITIES:
        slug = name.split()[-1].lower()
        org = OrganisationFactory(
            name=name, code=code, kind=OrganisationKind.PARTICIPANT, workplace_count=workplaces,
            email=f"servicedesk@{slug}.example.nl", phone="077 000 00" + str(len(slug)).zfill(2), opening_hours=hours,
        )
        LocationFactory(organisation=org, name=town_hall, kind=LocationKind.TOWN_HALL)
        for site in sites:
            LocationFactory(organisation=org, name=site, kind=LocationKind.SITE)
        people = {}
        for suffix, role, first, last, title in PARTICIPANT_PEOPLE:
            people[role] = DemoUserFactory(
                username=f"{slug}.{suffix}", first_name=first, last_name=last, job_title=title,
                organisation=org, password=password, is_demo=True, roles=[role],
            )
        people["employee"].manager = people["manager"]
        people["employee"].save()
        employees = [people["employee"]]
        for index in range(extra_employees):
            employees.append(DemoUserFactory(
                username=f"{slug}.mw{index + 1:02d}", organisation=org, password=password, is_demo=True,
                roles=["employee"], manager=people["manager"], job_title="Medewerker",
            ))
        for service in services_in_scope:
            service.participants.add(org)
        opens, closes = hours.split()[-1].split("–")
        BusinessCalendar.objects.create(
            name=f"Openingstijden servicedesk {name}", organisation=org,
            weekly_hours={str(day): [[opens, closes]] for day in range(5)},
        )
        org.account_manager = people["account_manager"]
        org.representative = people["representative"]
        org.information_advisor = people["information_advisor"]
        org.save()
        logins["participants"][name] = [(f"{slug}.{suffix}", role) for suffix, role, *_rest in PARTICIPANT_PEOPLE]

        share = max(1, round(calls * workplaces / 2650))
        for index in range(share):
            # The named demo employee always has a few recent calls to follow.
            requester = people["employee"] if index < 3 else rng.choice(employees)
            max_age = 8 if index < 3 else 180
            age = timedelta(days=rng.uniform(0, max_age), hours=rng.uniform(0, 9))
            created = now - age
            status = (
                rng.choice([TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_FOR_CALLER,
                            TicketStatus.WAITING_FOR_SUPPLIER])
                if age < timedelta(days=10)
                else rng.choice([TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.CLOSED])
            )
            from regie.servicedesk.services import next_reference

            impact, urgency = rng.choice([3, 3, 2, 2, 1]), rng.choice([3, 2, 2, 1])
            handled = status != TicketStatus.NEW
            ticket = TicketFactory(
                requester=requester,
                created_by=rng.choice([requester, staff["helpdesk"]]),
                title=rng.choice(CALL_TITLES),
                status=status,
                channel=rng.choice(TicketChannel.values),
                reference=next_reference(org, year=created.year),
                created_at=created,
                impact=impact,
                urgency=urgency,
                priority=priority_for(impact, urgency),
                service=rng.choice(services_in_scope),
                team=rng.choice(second_line) if handled else None,
                assignee=rng.choice([staff["beheerder"], staff["piket"], None]) if handled else None,
                resolution_code="solved" if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) else "",
                resolution_text="Opgelost." if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) else "",
            )
            apply_sla(ticket)
            resolved_at = closed_at = None
            if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and ticket.resolution_due_at:
                # Most calls are resolved within the term; some are not.
                resolved_at = min(now, created + (ticket.resolution_due_at - created) * rng.uniform(0.05, 1.25))
                closed_at = min(now, resolved_at + timedelta(days=2)) if status == TicketStatus.CLOSED else None
            Ticket.all_objects.filter(pk=ticket.pk).update(
                updated_at=created + age / 3,
                response_due_at=ticket.response_due_at,
                resolution_due_at=None if ticket.is_paused else ticket.resolution_due_at,
                sla_paused_since=created + age / 2 if ticket.is_paused else None,
                resolved_at=resolved_at,
                closed_at=closed_at,
            )
    load_cmdb_demo(rng)
    from regie.changes.demo import load_demo as load_changes_demo

    load_changes_demo(rng)
    from regie.agreement.demo import load_demo as load_agreement_demo

    load_agreement_demo(rng)
    from regie.fulfilment.demo import load_demo as load_fulfilment_demo

    load_fulfilment_demo(rng)
    return logins


def load_cmdb_demo(rng):
    """The CMDB estate of the four municipalities and the provider: items and standards,
    contracts and suppliers, network and datacenters with relations, licences, certificates.
    Each loader is idempotent and builds on the ones before it."""
    from regie.cmdb import contract_demo, network_demo
    from regie.cmdb import demo as items_demo
    from regie.cmdb.certificates import demo as certificates_demo
    from regie.cmdb.licences import demo as licences_demo

    for loader in (items_demo, network_demo, contract_demo, licences_demo, certificates_demo):
        loader.load_demo(rng)
