"""Demo suppliers and contracts: invented Dutch IT suppliers with contacts, framework
contracts from the provider's tenders (with product lines and prices), maintenance and
warranty contracts with response and resolution times, a licence agreement, and a few
contracts that end soon. Idempotent: run it twice and nothing is added the second time.

    from regie.cmdb.contract_demo import load_demo
    load_demo(random.Random(2026))

Relies on the organisations of the core demo (provider NML, participants VNL, RMD, WRT,
NDW); it links existing configuration items to the contracts, and creates a few servers
and workplaces itself when the CMDB has none yet.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from regie.core.audit import audit_context
from regie.core.choices import LocationKind, OrganisationKind
from regie.core.models import Location, Organisation

from . import seed
from .choices import CIStatus, ContractKind, ModelApproval
from .models import ConfigurationItem, ConfigurationItemModel, ConfigurationItemType, Contract, ContractLine, Supplier

# name, chamber of commerce, website, e-mail, phone, support hours, contacts (name, role, e-mail, phone)
SUPPLIERS = [
    ("Maasdata Automatisering B.V.", "12345678", "https://www.maasdata.example.nl", "support@maasdata.example.nl",
     "077 200 1000", "ma–vr 08:00–18:00", [
         ("Sanne Jacobs", "Accountmanager", "s.jacobs@maasdata.example.nl", "06 1000 2001"),
         ("Ruud Peeters", "Servicedesk 3e lijn", "servicedesk@maasdata.example.nl", "077 200 1001"),
     ]),
    ("Roerdal Systeemhuis B.V.", "23456789", "https://www.roerdal.example.nl", "service@roerdal.example.nl",
     "0475 300 300", "24×7 voor storingen met prioriteit 1, anders ma–vr 08:00–17:30", [
         ("Bas Hendrikx", "Service delivery manager", "b.hendrikx@roerdal.example.nl", "06 2000 3002"),
         ("Meldpunt storingen", "24×7 meldpunt", "storing@roerdal.example.nl", "0475 300 399"),
     ]),
    ("Peelnet Netwerken B.V.", "34567890", "https://www.peelnet.example.nl", "noc@peelnet.example.nl",
     "0495 400 400", "24×7 (NOC)", [
         ("Femke Vossen", "Accountmanager", "f.vossen@peelnet.example.nl", "06 3000 4003"),
     ]),
    ("Kempen Licentiebeheer B.V.", "45678901", "https://www.kempenlicenties.example.nl",
     "licenties@kempenlicenties.example.nl", "040 500 5000", "ma–vr 09:00–17:00", [
         ("Joost van der Linden", "Licentiespecialist", "j.vanderlinden@kempenlicenties.example.nl", "06 4000 5004"),
     ]),
    ("Glasvezel Limburg B.V.", "67890123", "https://www.glasvezellimburg.example.nl",
     "zakelijk@glasvezellimburg.example.nl", "046 700 7000", "24×7 voor storingen", [
         ("Tom Schreurs", "Accountmanager overheid", "t.schreurs@glasvezellimburg.example.nl", "06 5000 6005"),
         ("Storingsdienst", "24×7 storingsnummer", "storing@glasvezellimburg.example.nl", "046 700 7099"),
     ]),
    ("NetKoppel Nederland B.V.", "78901234", "https://www.netkoppel.example.nl", "gemnet@netkoppel.example.nl",
     "030 800 8000", "24×7 (NOC Gemnet en internet)", [
         ("NOC NetKoppel", "Network operations center", "noc@netkoppel.example.nl", "030 800 8099"),
     ]),
    ("Noord-Limburg Printservices B.V.", "56789012", "https://www.nlprint.example.nl", "service@nlprint.example.nl",
     "077 600 6000", "ma–vr 07:30–17:00", [
         ("Karin Smeets", "Planning monteurs", "planning@nlprint.example.nl", "077 600 6001"),
     ]),
]

# type code, brand, model, approved
MODELS = [
    ("laptop", "HP", "EliteBook 840 G11", True),
    ("laptop", "Dell", "Latitude 5450", True),
    ("werkplek", "HP", "Elite Mini 800 G9", True),
    ("virtuele-werkplek", "IGEL", "UD3 M350C", True),
    ("monitor", "Dell", "P2425H", True),
    ("fysieke-server", "Dell", "PowerEdge R760", True),
    ("opslagsysteem", "NetApp", "AFF A250", True),
    ("switch", "HPE Aruba", "CX 6300M", True),
    ("firewall", "Fortinet", "FortiGate 200F", True),
    ("printer", "Canon", "imageRUNNER ADVANCE DX C5840i", True),
    ("laptop", "Lenovo", "ThinkPad X13 Gen 5", False),
]


def _day(offset):
    return timezone.localdate() + datetime.timedelta(days=offset)


def _models():
    types = {t.code: t for t in ConfigurationItemType.objects.unrestricted()}
    models = {}
    for code, brand, name, approved in MODELS:
        if code not in types:
            continue
        model, _created = ConfigurationItemModel.objects.unrestricted().get_or_create(
            ci_type=types[code], manufacturer=brand, name=name,
            defaults={"approval": ModelApproval.APPROVED if approved else ModelApproval.PROPOSED},
        )
        models[(code, name)] = model
    return models


def _contracts(provider, venlo, suppliers):
    """(supplier, reference, values, lines[(model key, description, price)])"""
    s = suppliers
    return [
        (s["Maasdata Automatisering B.V."], "RC-2024-WPL", dict(
            name="Raamcontract werkplekhardware", kind=ContractKind.FRAMEWORK, organisation=provider,
            tender="Europese aanbesteding Werkplekken ICT NML 2024 (perceel 1)", starts_on=datetime.date(2024, 3, 1),
            ends_on=datetime.date(2028, 2, 29), notice_days=180, annual_value=Decimal("640000.00"),
        ), [
            (("laptop", "EliteBook 840 G11"), "Laptop standaard (HP EliteBook 840 G11, 16 GB, 512 GB)", "1049.00"),
            (("laptop", "Latitude 5450"), "Laptop alternatief (Dell Latitude 5450)", "989.00"),
            (("werkplek", "Elite Mini 800 G9"), "Werkplek-pc compact (HP Elite Mini 800 G9)", "779.00"),
            (("monitor", "P2425H"), "Monitor 24 inch (Dell P2425H)", "189.00"),
            (("virtuele-werkplek", "UD3 M350C"), "Thin client (IGEL UD3)", "349.00"),
            (None, "Docking station USB-C", "169.00"),
        ]),
        (s["Roerdal Systeemhuis B.V."], "RC-2023-DC", dict(
            name="Raamcontract servers en opslag datacenters", kind=ContractKind.FRAMEWORK, organisation=provider,
            tender="Aanbesteding Datacenterinfrastructuur 2023", starts_on=datetime.date(2023, 6, 1),
            ends_on=datetime.date(2027, 5, 31), notice_days=180, annual_value=Decimal("410000.00"),
        ), [
            (("fysieke-server", "PowerEdge R760"), "Server 2U (Dell PowerEdge R760, 2× 16 cores)", "14250.00"),
            (("opslagsysteem", "AFF A250"), "All-flash opslag (NetApp AFF A250, 2 controllers)", "48900.00"),
        ]),
        (s["Peelnet Netwerken B.V."], "RC-2021-NET", dict(
            name="Raamcontract netwerkcomponenten", kind=ContractKind.FRAMEWORK, organisation=provider,
            tender="Aanbesteding Netwerk en beveiliging 2021", starts_on=datetime.date(2021, 9, 1),
            ends_on=_day(75), notice_days=90, annual_value=Decimal("120000.00"),
        ), [
            (("switch", "CX 6300M"), "Access switch 48 poorten PoE (Aruba CX 6300M)", "4350.00"),
            (("firewall", "FortiGate 200F"), "Firewall (FortiGate 200F, incl. 3 jaar UTP-bundel)", "7900.00"),
        ]),
        (s["Roerdal Systeemhuis B.V."], "OC-2025-DC", dict(
            name="Onderhoud servers en opslag (4 uur reactie)", kind=ContractKind.MAINTENANCE, organisation=provider,
            starts_on=datetime.date(2025, 1, 1), ends_on=datetime.date(2027, 12, 31), notice_days=90,
            response_hours=4, resolution_hours=8, annual_value=Decimal("86000.00"),
            notes="Reactie binnen 4 uur, 24×7, op locatie in beide datacenters; onderdelen binnen 8 uur.",
        ), []),
        (s["Peelnet Netwerken B.V."], "OC-2023-NET", dict(
            name="Onderhoud netwerk en firewalls", kind=ContractKind.MAINTENANCE, organisation=provider,
            starts_on=datetime.date(2023, 1, 1), ends_on=_day(21), notice_days=60,
            response_hours=2, resolution_hours=8, annual_value=Decimal("38500.00"),
        ), []),
        (s["Noord-Limburg Printservices B.V."], "GAR-2023-PRN", dict(
            name="Garantie en service multifunctionals", kind=ContractKind.WARRANTY, organisation=provider,
            starts_on=datetime.date(2023, 4, 1), ends_on=_day(48), notice_days=30,
            response_hours=8, resolution_hours=24,
        ), []),
        (s["Kempen Licentiebeheer B.V."], "LIC-2024-EA", dict(
            name="Microsoft Enterprise Agreement (via reseller)", kind=ContractKind.LICENCE, organisation=provider,
            tender="Aanbesteding Softwarelicenties 2024", starts_on=datetime.date(2024, 7, 1),
            ends_on=datetime.date(2027, 6, 30), notice_days=120, annual_value=Decimal("515000.00"),
        ), []),
        (s["Maasdata Automatisering B.V."], "VNL-OC-2025-07", dict(
            name="Onderhoud kaartlezers en balie-apparatuur Stadskantoor", kind=ContractKind.MAINTENANCE,
            organisation=venlo, starts_on=datetime.date(2025, 7, 1), ends_on=datetime.date(2027, 6, 30),
            notice_days=60, response_hours=8, resolution_hours=16, annual_value=Decimal("7400.00"),
        ), []),
    ]


def _demo_items(rng, provider, participants, models):
    """A few items when the CMDB has none: servers in both datacenters and workplaces."""
    from .factories import ConfigurationItemFactory

    types = {t.code: t for t in ConfigurationItemType.objects.unrestricted()}
    datacenters = list(Location.objects.unrestricted().filter(organisation=provider, kind=LocationKind.DATACENTER))
    for index in range(4):
        ConfigurationItemFactory(
            organisation=provider, ci_type=types["fysieke-server"],
            model=models.get(("fysieke-server", "PowerEdge R760")),
            name=f"DC{'VR'[index % 2]}-ESX-{index + 1:02d}", asset_tag=f"NML-SRV-{index + 1:04d}",
            location=datacenters[index % len(datacenters)] if datacenters else None,
            attributes={"os": "Windows Server 2022", "cores": rng.choice([16, 24, 32]), "ram_gb": 768},
        )
    for org in participants:
        for index in range(8):
            code = "laptop" if index % 2 else "werkplek"
            model = models.get(("laptop", "EliteBook 840 G11")) if code == "laptop" else models.get(
                ("werkplek", "Elite Mini 800 G9"))
            ConfigurationItemFactory(
                organisation=org, ci_type=types[code], model=model,
                name=f"{org.code}-{code[:2].upper()}-{index + 1:04d}",
                asset_tag=f"{org.code}-{index + 1:05d}", purchase_date=datetime.date(2024, 9, 1),
                attributes={"os": "Windows 11 Enterprise"},
            )


@transaction.atomic
def load_demo(rng):
    with audit_context(actor_label="demo"):
        provider = Organisation.objects.unrestricted().filter(kind=OrganisationKind.PROVIDER).order_by("pk").first()
        participants = list(Organisation.objects.unrestricted().filter(kind=OrganisationKind.PARTICIPANT)
                            .order_by("pk"))
        if provider is None or not participants:
            return {}
        seed.ensure_loaded()
        venlo = next((org for org in participants if org.code == "VNL"), participants[0])
        suppliers = {}
        for name, coc, website, email, phone, hours, contacts in SUPPLIERS:
            details = dict(chamber_of_commerce=coc, website=website, email=email, phone=phone, support_hours=hours)
            supplier, created = Supplier.objects.unrestricted().get_or_create(name=name, defaults=details)
            # The item and network demos may have named the supplier first, without its details.
            missing = {field: value for field, value in details.items() if not getattr(supplier, field)}
            if missing:
                for field, value in missing.items():
                    setattr(supplier, field, value)
                supplier.save()
            if created or not supplier.contacts.exists():
                for contact_name, role, contact_email, contact_phone in contacts:
                    supplier.contacts.create(name=contact_name, role=role, email=contact_email, phone=contact_phone)
            suppliers[name] = supplier
        models = _models()
        contracts = {}
        for supplier, reference, values, lines in _contracts(provider, venlo, suppliers):
            contract, created = Contract.objects.unrestricted().get_or_create(
                supplier=supplier, reference=reference, defaults=values,
            )
            if created:
                for key, description, price in lines:
                    model = models.get(key) if key else None
                    if key is None or model is not None:
                        ContractLine.objects.create(contract=contract, model=model, description=description,
                                                    unit_price=Decimal(price))
            contracts[reference] = contract

        items = ConfigurationItem.objects.unrestricted()
        if not items.exists():
            _demo_items(rng, provider, participants, models)
        # Link items to their contracts where nothing is recorded yet.
        support = {
            "fysieke-server": contracts["OC-2025-DC"], "opslagsysteem": contracts["OC-2025-DC"],
            "switch": contracts["OC-2023-NET"], "firewall": contracts["OC-2023-NET"],
            "router": contracts["OC-2023-NET"], "printer": contracts["GAR-2023-PRN"],
        }
        purchase = {
            "laptop": contracts["RC-2024-WPL"], "werkplek": contracts["RC-2024-WPL"],
            "virtuele-werkplek": contracts["RC-2024-WPL"], "monitor": contracts["RC-2024-WPL"],
            "fysieke-server": contracts["RC-2023-DC"], "opslagsysteem": contracts["RC-2023-DC"],
        }
        live = items.exclude(status__in=[CIStatus.RETIRED, CIStatus.DISPOSED]).select_related("ci_type")
        for item in live.filter(ci_type__code__in=list(support), maintenance_contract__isnull=True)[:400]:
            item.maintenance_contract = support[item.ci_type.code]
            item.save(update_fields=["maintenance_contract"])
        for item in live.filter(ci_type__code__in=list(purchase), framework_contract__isnull=True)[:400]:
            item.framework_contract = purchase[item.ci_type.code]
            item.save(update_fields=["framework_contract"])
        return {"suppliers": suppliers, "contracts": contracts}
