"""Demo licences: entitlements per participant and for the datacenters, with assignments to
the CMDB's items and the participants' people, so the compliance view has something to
say — over-use of Microsoft Office in Venlo and of Exchange CALs in Roermond, under-use of
Windows Enterprise in Weert, and entitlements that end soon. Idempotent.

    from regie.cmdb.licences.demo import load_demo
    load_demo(random.Random(2026))

Run after regie.cmdb.contract_demo.load_demo (it uses its licence agreement and items
when they exist; it creates a few items itself when the CMDB has none).
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from regie.cmdb.choices import CIStatus
from regie.cmdb.models import ConfigurationItem, ConfigurationItemType, Contract
from regie.core.audit import audit_context
from regie.core.choices import OrganisationKind
from regie.core.models import Organisation, User

from . import seed
from .models import Assignment, Entitlement, LicenceProduct

WORKPLACE_TYPES = ("werkplek", "laptop", "virtuele-werkplek")
SERVER_TYPES = ("fysieke-server", "virtuele-server")
# Workplaces per participant that take licences in the demo (the rest of a large estate is left alone).
WORKPLACES_PER_PARTICIPANT = 40


def _today():
    return timezone.localdate()


def _entitlement(product, organisation, reference, quantity, *, starts_on, ends_on=None, cost=None, contract=None):
    entitlement, _created = Entitlement.objects.unrestricted().get_or_create(
        product=product, organisation=organisation, reference=reference,
        defaults=dict(quantity=quantity, starts_on=starts_on, ends_on=ends_on,
                      cost=Decimal(cost) if cost is not None else None, contract=contract),
    )
    return entitlement


def _assign(product, *, item=None, person=None, entitlement=None):
    existing = Assignment.objects.unrestricted().filter(product=product)
    existing = existing.filter(item=item) if item is not None else existing.filter(person=person)
    if existing.exists():
        return
    organisation_id = item.organisation_id if item is not None else person.organisation_id
    Assignment.objects.unrestricted().create(product=product, item=item, person=person, entitlement=entitlement,
                                             organisation_id=organisation_id)


def _workplaces(organisation):
    items = list(
        ConfigurationItem.objects.unrestricted().filter(
            organisation=organisation, ci_type__code__in=WORKPLACE_TYPES,
        ).exclude(status__in=[CIStatus.RETIRED, CIStatus.DISPOSED]).order_by("id")[:WORKPLACES_PER_PARTICIPANT]
    )
    if len(items) >= 6:
        return items
    from regie.cmdb.factories import ConfigurationItemFactory

    werkplek = ConfigurationItemType.objects.unrestricted().get(code="werkplek")
    for index in range(len(items), 8):
        items.append(ConfigurationItemFactory(
            organisation=organisation, ci_type=werkplek, name=f"{organisation.code}-LIC-WP-{index + 1:03d}",
            asset_tag=f"{organisation.code}-LIC-{index + 1:04d}", attributes={"os": "Windows 11 Enterprise"},
        ))
    return items


def _servers(provider, rng):
    servers = list(
        ConfigurationItem.objects.unrestricted().filter(ci_type__code__in=SERVER_TYPES)
        .exclude(status__in=[CIStatus.RETIRED, CIStatus.DISPOSED]).order_by("id")[:12]
    )
    if servers:
        return servers
    from regie.cmdb.factories import ConfigurationItemFactory

    server_type = ConfigurationItemType.objects.unrestricted().get(code="fysieke-server")
    return [
        ConfigurationItemFactory(
            organisation=provider, ci_type=server_type, name=f"DC-HOST-{index + 1:02d}",
            asset_tag=f"NML-LIC-SRV-{index + 1:03d}",
            attributes={"os": "Windows Server 2022", "cores": rng.choice([16, 24, 32])},
        )
        for index in range(4)
    ]


@transaction.atomic
def load_demo(rng):
    with audit_context(actor_label="demo"):
        provider = Organisation.objects.unrestricted().filter(kind=OrganisationKind.PROVIDER).order_by("pk").first()
        participants = list(
            Organisation.objects.unrestricted().filter(kind=OrganisationKind.PARTICIPANT).order_by("pk")
        )
        if provider is None or not participants:
            return {}
        seed.ensure_loaded()
        products = {p.code: p for p in LicenceProduct.objects.unrestricted()}
        agreement = Contract.objects.unrestricted().filter(reference="LIC-2024-EA").first()
        today = _today()
        ea_start = datetime.date(2024, 7, 1)
        ea_end = agreement.ends_on if agreement is not None and agreement.ends_on else datetime.date(2027, 6, 30)

        # The datacenters: per-core server and virtualisation licences, backup, monitoring.
        servers = _servers(provider, rng)
        datacenter = _entitlement(products["windows-server"], provider, "EA-WSDC-2024", 128, starts_on=ea_start,
                                  ends_on=ea_end, cost="98304.00", contract=agreement)
        vsphere = _entitlement(products["vmware-vsphere"], provider, "VVF-2025-NML", 192,
                               starts_on=datetime.date(2025, 2, 1), ends_on=today + datetime.timedelta(days=26),
                               cost="61440.00")
        backup = _entitlement(products["backup"], provider, "VEEAM-2025", len(servers) + 1,
                              starts_on=datetime.date(2025, 1, 1),
                              ends_on=today + datetime.timedelta(days=80), cost="14800.00")
        for server in servers:
            if server.ci_type.code == "fysieke-server":
                _assign(products["windows-server"], item=server, entitlement=datacenter)
                _assign(products["vmware-vsphere"], item=server, entitlement=vsphere)
            _assign(products["backup"], item=server, entitlement=backup)

        summary = {}
        for organisation in participants:
            workplaces = _workplaces(organisation)
            count = len(workplaces)
            people = list(User.objects.filter(organisation=organisation, is_active=True).order_by("id")[:60])
            # Windows Enterprise per device: enough everywhere; Weert bought twice what it uses (under-use).
            windows_quantity = count * 2 if organisation.code == "WRT" else count + 2
            windows = _entitlement(products["windows-enterprise"], organisation, f"EA-WIN-{organisation.code}",
                                   windows_quantity, starts_on=ea_start, ends_on=ea_end,
                                   cost=f"{windows_quantity * 7 * 12}.00", contract=agreement)
            # Office per device: Venlo installed it on more workplaces than it holds licences for (over-use).
            office_quantity = max(count - 5, 1) if organisation.code == "VNL" else count
            office = _entitlement(products["microsoft-office"], organisation, f"LTSC-OFF-{organisation.code}",
                                  office_quantity, starts_on=datetime.date(2024, 1, 1),
                                  cost=f"{office_quantity * 410}.00")
            # Exchange CALs per user: Roermond has more mailboxes than CALs (over-use).
            cal_quantity = max(len(people) - 3, 1) if organisation.code == "RMD" else len(people) + 1
            exchange_cal = _entitlement(products["exchange-cal"], organisation, f"EA-EXCAL-{organisation.code}",
                                        cal_quantity, starts_on=ea_start, ends_on=ea_end,
                                        cost=f"{cal_quantity * 78}.00", contract=agreement)
            # Antivirus subscription on every workplace; Nederweert's ends within 30 days.
            av_end = today + datetime.timedelta(days=24) if organisation.code == "NDW" else datetime.date(2027, 12, 31)
            antivirus = _entitlement(products["anti-virus"], organisation, f"AV-{organisation.code}-2025", count + 1,
                                     starts_on=datetime.date(2025, 1, 1), ends_on=av_end,
                                     cost=f"{(count + 1) * 24}.00")
            for item in workplaces:
                _assign(products["windows-enterprise"], item=item, entitlement=windows)
                _assign(products["microsoft-office"], item=item, entitlement=office)
                _assign(products["anti-virus"], item=item, entitlement=antivirus)
            for person in people:
                _assign(products["exchange-cal"], person=person, entitlement=exchange_cal)
            summary[organisation.code] = {"workplaces": count, "people": len(people)}
        return summary
