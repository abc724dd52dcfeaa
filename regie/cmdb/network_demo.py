"""Demo data for network links, the two datacenters and the critical services placed in
them, with the relations impact analysis walks. Call `load_demo(rng)` after the core demo
(organisations and locations) and, if present, the items demo: items are looked up by type
and name and only what is missing is created, so calling it twice changes nothing.

The estate: in each datacenter a storage system, hypervisor hosts and servers for the
critical services of §4.1.3 (BRP, BAG, authentication/domain, mail) with a 4-hour recovery
time objective; most of them fail over to their twin in the other datacenter, the BAG
server on purpose does not (the datacenter page warns about it). Each municipality's
business services (BRP, BAG, e-mail) depend on those servers, and its town hall network
depends on the links to the datacenters. Gemnet and the Internet are connected from both
datacenters except the second Internet line, which is "still being ordered" (warned).
"""

import datetime

from django.db import transaction

from regie.core.audit import audit_context
from regie.core.choices import LocationKind, OrganisationKind
from regie.core.models import Location, Organisation

from . import seed
from .choices import NetworkLinkKind, RelationKind
from .models import ConfigurationItem, ConfigurationItemType, NetworkLink, Relation, Supplier

K = RelationKind
FOUR_HOURS = datetime.timedelta(hours=4)
MUNICIPALITIES = [
    ("VNL", "Venlo", "Stadskantoor Venlo", "Datacenter Venlo"),
    ("RMD", "Roermond", "Stadhuis Roermond", "Datacenter Roermond"),
    ("WRT", "Weert", "Stadhuis Weert", "Datacenter Venlo"),
    ("NDW", "Nederweert", "Gemeentehuis Nederweert", "Datacenter Roermond"),
]
SITES = {"VNL": ["Stadswinkel Blerick", "Gemeentewerf Venlo"], "RMD": ["Stadswinkel Roermond"],
         "WRT": ["Gemeentewerf Weert"], "NDW": []}
DATACENTERS = [("Datacenter Venlo", "VLO"), ("Datacenter Roermond", "RMD")]


class _Estate:
    def __init__(self, rng):
        self.rng = rng
        self.types = {t.code: t for t in ConfigurationItemType.objects.unrestricted()}
        providers = Organisation.objects.unrestricted().filter(kind=OrganisationKind.PROVIDER)
        self.provider = providers.order_by("pk").first()

    def location(self, organisation, name, kind):
        found = Location.all_objects.filter(organisation=organisation, name=name).first()
        if found is None:
            found = Location(organisation=organisation, name=name, kind=kind)
            found.save()
        return found

    def item(self, type_code, name, organisation, **values):
        found = ConfigurationItem.all_objects.filter(ci_type__code=type_code, name=name).first()
        if found is None:
            # The audit snapshot cannot hold a duration yet (regie/core/audit.py `_jsonable`):
            # the recovery time objective is set after the audited create.
            rto = values.pop("recovery_time_objective", None)
            found = ConfigurationItem(ci_type=self.types[type_code], name=name, organisation=organisation, **values)
            found.save()
            if rto is not None:
                ConfigurationItem.all_objects.filter(pk=found.pk).update(recovery_time_objective=rto)
                found.recovery_time_objective = rto
        return found

    def relate(self, source, kind, target):
        if source.pk != target.pk and not Relation.all_objects.filter(source=source, kind=kind, target=target).exists():
            Relation(source=source, kind=kind, target=target).save()

    def supplier(self, name):
        found = Supplier.objects.unrestricted().filter(name=name).first()
        if found is None:
            found = Supplier(name=name)
            found.save()
        return found

    def link(self, name, organisation, kind, end_a, end_b, mbps, provider):
        item = self.item("netwerkverbinding", name, organisation, location=end_a)
        link = NetworkLink.all_objects.filter(item=item).first()
        if link is None:
            link = NetworkLink(item=item, kind=kind, end_a=end_a, end_b=end_b, bandwidth_mbps=mbps, provider=provider)
            link.save()
        return link


def pair(first, second):
    if first.redundant_with_id is None and second.redundant_with_id is None:
        first.redundant_with = second
        first.save()
        second.redundant_with = first
        second.save()


def load_demo(rng):
    """Idempotent: creates the missing network links, datacenter items, critical servers,
    business services and their relations. Returns the number of network links."""
    with transaction.atomic(), audit_context(actor_label="demo"):
        seed.ensure_loaded()
        estate = _Estate(rng)
        provider = estate.provider
        if provider is None:
            return 0
        fiber = estate.supplier("Glasvezel Limburg B.V.")
        carrier = estate.supplier("NetKoppel Nederland B.V.")
        centres, places = {}, {}
        for name, code in DATACENTERS:
            place = estate.location(provider, name, LocationKind.DATACENTER)
            places[name] = place
            centres[name] = estate.item("datacenter", name, provider, location=place,
                                        attributes={"site_code": code, "tier": 3})
        twins = {}
        for dc_name, code in DATACENTERS:
            dc, place = centres[dc_name], places[dc_name]
            storage = estate.item("opslagsysteem", f"SAN-{code}-01", provider, location=place,
                                  recovery_time_objective=FOUR_HOURS,
                                  attributes={"capacity_tb": 180, "used_tb": 131, "replicated": True})
            estate.relate(storage, K.LOCATED_IN, dc)
            hosts = []
            for n in (1, 2, 3):
                host = estate.item("fysieke-server", f"ESX-{code}-0{n}", provider, location=place,
                                   attributes={"os": "VMware ESXi 8", "cores": 64, "ram_gb": 1024})
                estate.relate(host, K.LOCATED_IN, dc)
                estate.relate(host, K.RUNS_ON, storage)
                hosts.append(host)
            servers = {}
            for index, (role, label) in enumerate([("brp", "BRP-applicatieserver"), ("bag", "BAG-server"),
                                                   ("ad", "Domeincontroller"), ("mail", "Exchange-mailserver")]):
                if role == "bag" and code != "VLO":
                    continue  # the BAG server has no twin: warned on the datacenter page
                server = estate.item(
                    "virtuele-server", f"{role.upper()}-{code}-01", provider, location=place,
                    recovery_time_objective=FOUR_HOURS, notes=label,
                    attributes={"os": "Windows Server 2022", "cores": 8, "ram_gb": 32},
                )
                estate.relate(server, K.RUNS_ON, hosts[index % len(hosts)])
                servers[role] = server
            twins[code] = {"storage": storage, **servers}
        for role in ("storage", "brp", "ad", "mail"):
            estate.relate(twins["VLO"][role], K.FAILS_OVER_TO, twins["RMD"][role])
            estate.relate(twins["RMD"][role], K.FAILS_OVER_TO, twins["VLO"][role])

        # Links between the datacenters, to Gemnet and the Internet.
        dc_link = estate.link("Verbinding DC Venlo – DC Roermond", provider, NetworkLinkKind.INTER_MUNICIPAL,
                              places["Datacenter Venlo"], places["Datacenter Roermond"], 10000, fiber)
        dc_link_b = estate.link("Verbinding DC Venlo – DC Roermond (tweede route)", provider,
                                NetworkLinkKind.INTER_MUNICIPAL, places["Datacenter Venlo"],
                                places["Datacenter Roermond"], 10000, carrier)
        pair(dc_link, dc_link_b)
        gemnet_a = estate.link("Gemnet DC Venlo", provider, NetworkLinkKind.GEMNET, places["Datacenter Venlo"],
                               None, 1000, carrier)
        gemnet_b = estate.link("Gemnet DC Roermond", provider, NetworkLinkKind.GEMNET, places["Datacenter Roermond"],
                               None, 1000, carrier)
        pair(gemnet_a, gemnet_b)
        internet = estate.link("Internet DC Venlo", provider, NetworkLinkKind.INTERNET, places["Datacenter Venlo"],
                               None, 5000, fiber)
        estate.relate(internet.item, K.CONNECTED_TO, centres["Datacenter Venlo"])

        # Each municipality: the town hall on the datacenter, its sites and LAN, its business services.
        for code, short, town_hall, dc_name in MUNICIPALITIES:
            org = Organisation.objects.unrestricted().filter(code=code).first()
            if org is None:
                continue
            hall = estate.location(org, town_hall, LocationKind.TOWN_HALL)
            uplink = estate.link(f"{town_hall} – {dc_name}", org, NetworkLinkKind.INTER_MUNICIPAL, hall,
                                 places[dc_name], 1000 if short != "Nederweert" else 500, fiber)
            estate.relate(uplink.item, K.CONNECTED_TO, centres[dc_name])
            lan = estate.link(f"LAN en wifi {town_hall}", org, NetworkLinkKind.LAN_WIFI, hall,
                              estate.location(org, f"Serverruimte {town_hall}", LocationKind.OFFICE),
                              1000, None)
            estate.relate(lan.item, K.DEPENDS_ON, uplink.item)
            for site_name in SITES[code]:
                site = estate.location(org, site_name, LocationKind.SITE)
                site_link = estate.link(f"{site_name} – {town_hall}", org, NetworkLinkKind.INTRA_MUNICIPAL, site,
                                        hall, estate.rng.choice([100, 200, 500]), fiber)
                estate.relate(site_link.item, K.DEPENDS_ON, uplink.item)
            dc_code = "VLO" if dc_name == "Datacenter Venlo" else "RMD"
            brp = estate.item("bedrijfsdienst", f"BRP {short}", org,
                              attributes={"critical": True, "service_owner": f"Burgerzaken {short}"})
            bag = estate.item("bedrijfsdienst", f"BAG {short}", org, attributes={"critical": True})
            mail = estate.item("bedrijfsdienst", f"E-mail {short}", org, attributes={"critical": True})
            estate.relate(brp, K.DEPENDS_ON, twins[dc_code]["brp"])
            estate.relate(brp, K.DEPENDS_ON, twins[dc_code]["ad"])
            estate.relate(bag, K.DEPENDS_ON, twins["VLO"]["bag"])
            estate.relate(mail, K.DEPENDS_ON, twins[dc_code]["mail"])
            estate.relate(mail, K.DEPENDS_ON, twins[dc_code]["ad"])
            for service in (brp, bag, mail):
                estate.relate(service, K.DEPENDS_ON, lan.item)
        return NetworkLink.all_objects.count()
