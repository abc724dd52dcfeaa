"""Demo estate of the item register: a representative sample (not every one of the 2,650
workplaces) for the four municipalities, the provider's servers, storage and network gear in
its two datacenters, the business services on top, and the relations impact analysis walks:

    business service → depends on → application / virtual server
    application      → runs on    → virtual server, depends on → database
    virtual server   → runs on    → host (physical server)
    host             → runs on    → storage system; host and storage → located in → datacenter
    workplace        → depends on → the municipality's authentication and file services

Item names of the datacenter estate are those of regie/cmdb/network_demo.py, which adds the
network links and looks items up by type and name: run this loader first, then the network,
contract, licence and certificate loaders. Idempotent: items are found by type and name,
models by (type, brand, model), relations by (source, kind, target); a second run adds nothing.

    from regie.cmdb.demo import load_demo
    load_demo(random.Random(2026))
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from regie.core.audit import audit_context
from regie.core.choices import LocationKind, OrganisationKind
from regie.core.models import Location, Organisation, User

from . import seed
from .choices import CIStatus, ModelApproval, RelationKind
from .models import AffectedItem, ConfigurationItem, ConfigurationItemModel, ConfigurationItemType, Relation, Supplier

K = RelationKind
FOUR_HOURS = datetime.timedelta(hours=4)
DATACENTERS = [("Datacenter Venlo", "VLO"), ("Datacenter Roermond", "RMD")]
# code, short name, town hall, the datacenter its services run in, share of the sample
MUNICIPALITIES = [
    ("VNL", "Venlo", "Stadskantoor Venlo", "VLO"),
    ("RMD", "Roermond", "Stadhuis Roermond", "RMD"),
    ("WRT", "Weert", "Stadhuis Weert", "VLO"),
    ("NDW", "Nederweert", "Gemeentehuis Nederweert", "RMD"),
]
# One sampled workplace stands for this many real ones (Venlo 1,100 → 28 pcs and laptops).
WORKPLACES_PER_SAMPLE = 40

# type code, brand, model, approval, standard until (days from today; None: open-ended)
MODELS = [
    ("werkplek", "HP", "Elite Mini 800 G9", ModelApproval.APPROVED, None),
    ("werkplek", "HP", "EliteDesk 800 G6", ModelApproval.APPROVED, -200),  # standard period ended
    ("laptop", "HP", "EliteBook 840 G11", ModelApproval.APPROVED, None),
    ("laptop", "Dell", "Latitude 5450", ModelApproval.APPROVED, None),
    ("laptop", "HP", "EliteBook 840 G8", ModelApproval.APPROVED, -90),  # standard period ended
    ("laptop", "Lenovo", "ThinkPad X13 Gen 5", ModelApproval.PROPOSED, None),
    ("virtuele-werkplek", "IGEL", "UD3 M350C", ModelApproval.APPROVED, None),
    ("tablet", "Apple", "iPad (10e generatie)", ModelApproval.APPROVED, None),
    ("tablet", "Samsung", "Galaxy Tab S9 FE", ModelApproval.REJECTED, None),
    ("smartphone", "Apple", "iPhone 15", ModelApproval.APPROVED, 400),
    ("smartphone", "Samsung", "Galaxy A55", ModelApproval.APPROVED, None),
    ("monitor", "Dell", "P2425H", ModelApproval.APPROVED, None),
    ("printer", "Canon", "imageRUNNER ADVANCE DX C5840i", ModelApproval.APPROVED, None),
    ("kaartlezer", "Omnikey", "3021 USB", ModelApproval.APPROVED, None),
    ("fysieke-server", "Dell", "PowerEdge R760", ModelApproval.APPROVED, None),
    ("fysieke-server", "Dell", "PowerEdge R740", ModelApproval.APPROVED, -30),  # standard period ended
    ("opslagsysteem", "NetApp", "AFF A250", ModelApproval.APPROVED, None),
    ("switch", "HPE Aruba", "CX 6300M", ModelApproval.APPROVED, None),
    ("router", "Cisco", "ISR 4331", ModelApproval.APPROVED, None),
    ("firewall", "Fortinet", "FortiGate 200F", ModelApproval.APPROVED, None),
    ("access-point", "HPE Aruba", "AP-535", ModelApproval.APPROVED, None),
    ("rsa-token", "RSA", "SecurID SID700", ModelApproval.APPROVED, None),
    ("rsa-token", "RSA", "SecurID Authenticate (app)", ModelApproval.APPROVED, None),
]

# name, vendor, streaming suitability (§4.2.1), version
APPLICATIONS = [
    ("Zaaksysteem", "Centric", "ja", "2025.2"),
    ("Burgerzaken (BRP)", "PinkRoccade", "nee", "5.14"),
    ("GIS-viewer", "Esri", "niet beoordeeld", "11.3"),
    ("Microsoft Office", "Microsoft", "ja", "2021 LTSC"),
    ("Belastingen (WOZ)", "Gouw IT", "ja", "8.1"),
]


class _Estate:
    def __init__(self, rng):
        self.rng = rng
        self.today = timezone.localdate()
        self.types = {t.code: t for t in ConfigurationItemType.objects.unrestricted()}
        self.created = 0
        self.models = {}
        self.serial = 0

    def model(self, type_code, brand, name, approval=ModelApproval.APPROVED, until=None):
        key = (type_code, brand, name)
        if key not in self.models:
            found = ConfigurationItemModel.objects.unrestricted().filter(
                ci_type=self.types[type_code], manufacturer=brand, name=name).first()
            if found is None:
                found = ConfigurationItemModel(
                    ci_type=self.types[type_code], manufacturer=brand, name=name, approval=approval,
                    standard_until=self.today + datetime.timedelta(days=until) if until is not None else None,
                    approved_at=timezone.now() if approval != ModelApproval.PROPOSED else None,
                    notes="Voorgesteld door de gemeente Venlo voor mobiel werken." if approval == "proposed" else "",
                )
                found.save()
            self.models[key] = found
        return self.models[key]

    def location(self, organisation, name, kind):
        found = Location.all_objects.filter(organisation=organisation, name=name).first()
        if found is None:
            found = Location(organisation=organisation, name=name, kind=kind)
            found.save()
        return found

    def supplier(self, name):
        found = Supplier.objects.unrestricted().filter(name=name).first()
        if found is None:
            found = Supplier(name=name)
            found.save()
        return found

    def item(self, type_code, name, organisation, **values):
        found = ConfigurationItem.all_objects.filter(ci_type__code=type_code, name=name).first()
        if found is None:
            found = ConfigurationItem(ci_type=self.types[type_code], name=name, organisation=organisation, **values)
            found.save()
            self.created += 1
        return found

    def relate(self, source, kind, target):
        if source.pk != target.pk and not Relation.all_objects.filter(source=source, kind=kind, target=target).exists():
            Relation(source=source, kind=kind, target=target).save()

    def serial_number(self, prefix):
        self.serial += 1
        return f"{prefix}{self.rng.randrange(10**6, 10**7)}{self.serial:04d}"

    def days(self, low, high):
        return self.today + datetime.timedelta(days=self.rng.randint(low, high))


def _datacenters(estate, provider, suppliers):
    """Both datacenters with storage, hosts, virtual servers, network gear; returns per code."""
    sites = {}
    r760 = estate.model("fysieke-server", "Dell", "PowerEdge R760")
    r740 = estate.model("fysieke-server", "Dell", "PowerEdge R740", until=-30)
    san_model = estate.model("opslagsysteem", "NetApp", "AFF A250")
    for dc_name, code in DATACENTERS:
        place = estate.location(provider, dc_name, LocationKind.DATACENTER)
        centre = estate.item("datacenter", dc_name, provider, location=place, attributes={"site_code": code, "tier": 3})
        storage = estate.item(
            "opslagsysteem", f"SAN-{code}-01", provider, location=place, model=san_model,
            recovery_time_objective=FOUR_HOURS, supplier=suppliers["servers"], asset_tag=f"NML-SAN-{code}-01",
            serial_number=estate.serial_number("NA"), purchase_date=datetime.date(2023, 9, 1),
            price=Decimal("48900.00"), warranty_end=datetime.date(2028, 8, 31),
            attributes={"capacity_tb": 180, "used_tb": 131, "replicated": True},
        )
        estate.relate(storage, K.LOCATED_IN, centre)
        hosts = []
        for n in (1, 2, 3):
            old = n == 3  # the third host is an older, no longer standard model
            host = estate.item(
                "fysieke-server", f"ESX-{code}-0{n}", provider, location=place, model=r740 if old else r760,
                supplier=suppliers["servers"], asset_tag=f"NML-SRV-{code}-0{n}",
                serial_number=estate.serial_number("DL"),
                purchase_date=datetime.date(2020 if old else 2023, 10, 1), price=Decimal("14250.00"),
                warranty_end=estate.days(20, 50) if old and code == "RMD" else datetime.date(2028, 9, 30),
                attributes={"os": "VMware ESXi 8", "cores": 64, "ram_gb": 1024,
                            "rack_unit": f"{code}-R02-U{10 + 2 * n}"},
            )
            estate.relate(host, K.LOCATED_IN, centre)
            estate.relate(host, K.RUNS_ON, storage)
            hosts.append(host)
        servers = {}
        # Same roles, order and host placement as network_demo (its relations then coincide).
        for index, (role, label) in enumerate([("brp", "BRP-applicatieserver"), ("bag", "BAG-server"),
                                               ("ad", "Domeincontroller"), ("mail", "Exchange-mailserver")]):
            if role == "bag" and code != "VLO":
                continue
            server = estate.item(
                "virtuele-server", f"{role.upper()}-{code}-01", provider, location=place,
                recovery_time_objective=FOUR_HOURS, notes=label,
                attributes={"os": "Windows Server 2022", "cores": 8, "ram_gb": 32},
            )
            estate.relate(server, K.RUNS_ON, hosts[index % len(hosts)])
            servers[role] = server
        for role, label, os_name, cores in [("fs", "Bestandsserver", "Windows Server 2022", 4),
                                            ("app", "Applicatieserver", "Windows Server 2025", 8),
                                            ("sql", "Databaseserver (SQL Server)", "Windows Server 2022", 16)]:
            server = estate.item(
                "virtuele-server", f"{role.upper()}-{code}-01", provider, location=place, notes=label,
                recovery_time_objective=FOUR_HOURS if role == "fs" else None,
                attributes={"os": os_name, "cores": cores, "ram_gb": 64 if role == "sql" else 16},
            )
            estate.relate(server, K.RUNS_ON, hosts[1])
            servers[role] = server
        network = {}
        for type_code, name, brand, model_name, attrs in [
            ("firewall", f"FW-{code}-01", "Fortinet", "FortiGate 200F", {"management_ip": f"10.{len(code)}0.0.1",
                                                                       "ha_pair": True}),
            ("switch", f"SW-{code}-CORE-01", "HPE Aruba", "CX 6300M", {"ports": 48, "management_ip": "10.0.0.2"}),
            ("router", f"RTR-{code}-01", "Cisco", "ISR 4331", {"management_ip": "10.0.0.3"}),
        ]:
            gear = estate.item(
                type_code, name, provider, location=place, model=estate.model(type_code, brand, model_name),
                supplier=suppliers["network"], asset_tag=f"NML-NET-{name}", serial_number=estate.serial_number("NW"),
                purchase_date=datetime.date(2022, 3, 1), warranty_end=estate.days(15, 45) if type_code == "router"
                else datetime.date(2027, 2, 28), attributes=attrs,
            )
            estate.relate(gear, K.LOCATED_IN, centre)
            network[type_code] = gear
        for server in servers.values():
            estate.relate(server, K.CONNECTED_TO, network["switch"])
        estate.relate(network["switch"], K.CONNECTED_TO, network["firewall"])
        sites[code] = {"centre": centre, "place": place, "storage": storage, "hosts": hosts, **servers, **network}
    for role in ("storage", "brp", "ad", "mail", "fs"):
        estate.relate(sites["VLO"][role], K.FAILS_OVER_TO, sites["RMD"][role])
        estate.relate(sites["RMD"][role], K.FAILS_OVER_TO, sites["VLO"][role])
    estate.relate(sites["VLO"]["storage"], K.BACKED_UP_BY, sites["RMD"]["storage"])
    return sites


def _provider_services(estate, provider, sites):
    auth = estate.item("bedrijfsdienst", "Authenticatie en domein (Active Directory)", provider,
                       recovery_time_objective=FOUR_HOURS,
                       attributes={"critical": True, "service_owner": "ICT NML, team Servers & opslag"})
    for code in ("VLO", "RMD"):
        estate.relate(auth, K.DEPENDS_ON, sites[code]["ad"])
    return {"auth": auth}


def _municipality(estate, org, short, town_hall, dc_code, sites, shared, suppliers):
    """A municipality's business services, applications and sampled devices."""
    rng = estate.rng
    hall = estate.location(org, town_hall, LocationKind.TOWN_HALL)
    dc = sites[dc_code]
    services = {
        "brp": estate.item("bedrijfsdienst", f"BRP {short}", org,
                           attributes={"critical": True, "service_owner": f"Burgerzaken {short}"}),
        "bag": estate.item("bedrijfsdienst", f"BAG {short}", org, attributes={"critical": True}),
        "mail": estate.item("bedrijfsdienst", f"E-mail {short}", org, attributes={"critical": True}),
        "files": estate.item("bedrijfsdienst", f"Bestandsopslag {short}", org,
                             attributes={"critical": False, "service_owner": f"Informatiebeheer {short}"}),
    }
    estate.relate(services["brp"], K.DEPENDS_ON, dc["brp"])
    estate.relate(services["brp"], K.DEPENDS_ON, dc["ad"])
    estate.relate(services["bag"], K.DEPENDS_ON, sites["VLO"]["bag"])
    estate.relate(services["mail"], K.DEPENDS_ON, dc["mail"])
    estate.relate(services["mail"], K.DEPENDS_ON, dc["ad"])
    estate.relate(services["files"], K.DEPENDS_ON, dc["fs"])
    estate.relate(services["files"], K.DEPENDS_ON, shared["auth"])

    database = estate.item("database", f"DB-ZAAK-{org.code}", org, location=dc["place"],
                           attributes={"engine": "SQL Server", "size_gb": rng.choice([120, 240, 380])})
    estate.relate(database, K.RUNS_ON, dc["sql"])
    for name, vendor, streaming, version in APPLICATIONS:
        app = estate.item("applicatie", f"{name} {short}", org, attributes={
            "version": version, "vendor": vendor, "streaming_suitable": streaming,
            "application_admin": f"Applicatiebeheer {short}",
        })
        estate.relate(app, K.RUNS_ON, dc["app"])
        if name == "Zaaksysteem":
            estate.relate(app, K.DEPENDS_ON, database)
        if name.startswith("Burgerzaken"):
            estate.relate(services["brp"], K.DEPENDS_ON, app)

    people = list(User.objects.unrestricted().filter(organisation=org, is_active=True).order_by("username")[:40])
    sample = max(5, round((org.workplace_count or 200) / WORKPLACES_PER_SAMPLE))
    m = estate.model
    pc_new, pc_old = m("werkplek", "HP", "Elite Mini 800 G9"), m("werkplek", "HP", "EliteDesk 800 G6", until=-200)
    lt_new, lt_alt = m("laptop", "HP", "EliteBook 840 G11"), m("laptop", "Dell", "Latitude 5450")
    lt_old = m("laptop", "HP", "EliteBook 840 G8", until=-90)
    lt_proposed = m("laptop", "Lenovo", "ThinkPad X13 Gen 5", approval=ModelApproval.PROPOSED)
    monitor = m("monitor", "Dell", "P2425H")
    devices = []

    def device(type_code, prefix, number, model, **values):
        name = f"{org.code}-{prefix}-{number:04d}"
        values.setdefault("status", CIStatus.IN_USE)
        values.setdefault("location", hall)
        values.setdefault("asset_tag", name)
        values.setdefault("serial_number", estate.serial_number(prefix[:2]))
        values.setdefault("supplier", suppliers["workplace"])
        item = estate.item(type_code, name, org, model=model, **values)
        devices.append(item)
        return item

    for n in range(1, sample + 1):
        old = n % 5 == 0
        bought = datetime.date(2019 if old else 2024, rng.randint(1, 12), 1)
        device("werkplek", "PC", n, pc_old if old else pc_new, purchase_date=bought, price=Decimal("779.00"),
               warranty_end=estate.days(10, 60) if n == 2 else bought + datetime.timedelta(days=5 * 365),
               assigned_to=people[n % len(people)] if people else None,
               attributes={"os": "Windows 11 Enterprise", "ram_gb": 16})
        device("monitor", "MON", n, monitor, purchase_date=bought, price=Decimal("189.00"),
               attributes={"size_inch": 24})
    for n in range(1, sample // 2 + 1):
        model = lt_old if n % 6 == 0 else lt_proposed if n == 3 and org.code == "VNL" else (
            lt_alt if n % 4 == 0 else lt_new)
        status = CIStatus.IN_REPAIR if n == 5 else CIStatus.IN_STOCK if n == 7 else CIStatus.IN_USE
        device("laptop", "LT", n, model, status=status, purchase_date=datetime.date(2024, 9, 1),
               price=Decimal("1049.00"), warranty_end=estate.days(5, 40) if n == 1 else datetime.date(2028, 8, 31),
               assigned_to=people[(n * 3) % len(people)] if people else None,
               attributes={"os": "Windows 11 Enterprise", "encrypted": n != 4})
    # Replaced pcs: one retired (waiting for the data wipe), one disposed; kept for the lifecycle
    # and the audit trail, out of the impact analysis and the licence count.
    for n, status in ((9001, CIStatus.RETIRED), (9002, CIStatus.DISPOSED)):
        device("werkplek", "PC", n, pc_old, status=status, location=None, purchase_date=datetime.date(2018, 3, 1),
               price=Decimal("689.00"), warranty_end=datetime.date(2023, 3, 1),
               notes="Vervangen door een Elite Mini 800 G9.", attributes={"os": "Windows 10 Enterprise", "ram_gb": 8})
        devices.pop()  # no relations: it no longer serves anyone
    for n in range(1, max(2, sample // 8) + 1):
        device("virtuele-werkplek", "TC", n, m("virtuele-werkplek", "IGEL", "UD3 M350C"),
               attributes={"pool": f"VDI-{org.code}-balie", "user_profile": "kiosk" if n == 1 else "standaard"})
        device("printer", "MFP", n, m("printer", "Canon", "imageRUNNER ADVANCE DX C5840i"),
               supplier=suppliers["print"], attributes={"ip_address": f"10.{n}.20.{10 + n}", "colour": True,
                                                        "follow_me": True})
        device("kaartlezer", "KL", n, m("kaartlezer", "Omnikey", "3021 USB"))
    for n in range(1, max(3, sample // 6) + 1):
        phone_model = m("smartphone", "Apple", "iPhone 15", until=400) if n % 2 else m("smartphone", "Samsung",
                                                                                         "Galaxy A55")
        device("smartphone", "GSM", n, phone_model, assigned_to=people[(n * 5) % len(people)] if people else None,
               attributes={"imei": f"35{rng.randrange(10**12, 10**13)}",
                           "phone_number": f"06 {rng.randrange(10**7, 10**8)}", "mdm_enrolled": n != 2})
    tablet = m("tablet", "Samsung", "Galaxy Tab S9 FE", approval=ModelApproval.REJECTED)
    device("tablet", "TAB", 1, tablet, notes="Aangeschaft buiten het raamcontract; model afgewezen als standaard.",
           attributes={"imei": f"35{rng.randrange(10**12, 10**13)}", "mdm_enrolled": False})
    hardware, software = m("rsa-token", "RSA", "SecurID SID700"), m("rsa-token", "RSA", "SecurID Authenticate (app)")
    for n in range(1, max(3, sample // 5) + 1):
        hard = n % 3 != 0
        expires = estate.days(10, 45) if n <= 2 else estate.days(200, 900)
        device("rsa-token", "RSA", n, hardware if hard else software, location=None, supplier=None,
               assigned_to=people[(n * 7) % len(people)] if people else None,
               serial_number="", asset_tag=f"{org.code}-RSA-{n:04d}",
               attributes={"token_serial": f"{rng.randrange(10**8, 10**9):09d}", "expires_on": expires.isoformat(),
                           "token_kind": "hardware" if hard else "software"})
    switch = estate.item("switch", f"SW-{org.code}-01", org, location=hall, model=m("switch", "HPE Aruba", "CX 6300M"),
                         asset_tag=f"{org.code}-SW-0001", serial_number=estate.serial_number("SW"),
                         supplier=suppliers["network"], attributes={"ports": 48})
    for n in (1, 2):
        ap = estate.item("access-point", f"AP-{org.code}-0{n}", org, location=hall,
                         model=m("access-point", "HPE Aruba", "AP-535"), asset_tag=f"{org.code}-AP-000{n}",
                         serial_number=estate.serial_number("AP"), attributes={"ssids": f"{short}-Medewerkers, Gast"})
        estate.relate(ap, K.CONNECTED_TO, switch)
    estate.relate(switch, K.CONNECTED_TO, dc["firewall"])

    for item in devices:
        if item.ci_type.code in ("werkplek", "laptop", "virtuele-werkplek"):
            estate.relate(item, K.DEPENDS_ON, shared["auth"])
            estate.relate(item, K.DEPENDS_ON, services["files"])
        elif item.ci_type.code == "rsa-token":
            estate.relate(item, K.DEPENDS_ON, shared["auth"])
    return devices


def _history(estate, org, devices):
    """A little history for the timeline: a repair, a call about a laptop."""
    laptop = next((d for d in devices if d.ci_type.code == "laptop" and d.status == CIStatus.IN_REPAIR), None)
    if laptop is None:
        return
    if not AffectedItem.all_objects.filter(item=laptop).exists():
        from regie.servicedesk.models import Ticket

        ticket = Ticket.all_objects.filter(organisation=org).order_by("-created_at").first()
        agent = User.objects.unrestricted().filter(organisation__kind=OrganisationKind.PROVIDER).order_by("pk").first()
        if ticket is not None and agent is not None:
            AffectedItem(ticket=ticket, item=laptop, added_by=agent).save()
            laptop.notes = f"Toetsenbord defect, gemeld in {ticket.reference}."
            laptop.save()


@transaction.atomic
def load_demo(rng):
    """Create what is missing of the demo estate. Returns {"items": created, "total": all items}."""
    with audit_context(actor_label="demo"):
        provider = Organisation.objects.unrestricted().filter(kind=OrganisationKind.PROVIDER).order_by("pk").first()
        if provider is None:
            return {"items": 0, "total": 0}
        seed.ensure_loaded()
        estate = _Estate(rng)
        for type_code, brand, name, approval, until in MODELS:
            if type_code in estate.types:
                estate.model(type_code, brand, name, approval, until)
        suppliers = {
            "workplace": estate.supplier("Maasdata Automatisering B.V."),
            "servers": estate.supplier("Roerdal Systeemhuis B.V."),
            "network": estate.supplier("Peelnet Netwerken B.V."),
            "print": estate.supplier("Noord-Limburg Printservices B.V."),
        }
        sites = _datacenters(estate, provider, suppliers)
        shared = _provider_services(estate, provider, sites)
        for code, short, town_hall, dc_code in MUNICIPALITIES:
            org = Organisation.objects.unrestricted().filter(code=code).first()
            if org is None:
                continue
            devices = _municipality(estate, org, short, town_hall, dc_code, sites, shared, suppliers)
            _history(estate, org, devices)
        return {"items": estate.created, "total": ConfigurationItem.all_objects.count()}
