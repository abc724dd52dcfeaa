"""Demo changes on the demo CMDB estate: one of each kind, in different states, two of them
(a firmware update and a capacity extension of SAN-VLO-01) conflicting in the same window.
Idempotent; run after regie.core.demo.load_cmdb_demo (it needs the storage systems and the
provider's team lead and ICT manager).

    from regie.changes.demo import load_demo
    load_demo(random.Random(2026))
"""

import datetime

from django.db import transaction
from django.utils import timezone

from regie.cmdb.models import ConfigurationItem
from regie.core.audit import audit_context
from regie.core.choices import OrganisationKind
from regie.core.models import Organisation, User

from . import services
from .choices import ChangeKind, Risk
from .models import Change, StandardChangeTemplate

PLAN = dict(
    risk_assessment="Uitval van de opslag raakt alle virtuele servers in het datacenter; de replicatie naar "
                    "Roermond blijft werken.",
    test_plan="Eerst uitvoeren op de testopslag in de acceptatieomgeving; daarna controle van alle LUN's.",
    test_result="Geslaagd op de testopslag: geen onderbreking van de I/O gemeten.",
    rollback_plan="Terug naar de vorige firmware via de tweede bootpartitie (15 minuten).",
)


def _at(days, hour):
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@transaction.atomic
def load_demo(rng):
    if Change.objects.unrestricted().exists():
        return {}
    provider = Organisation.objects.unrestricted().filter(kind=OrganisationKind.PROVIDER).order_by("pk").first()
    items = {item.name: item for item in ConfigurationItem.objects.unrestricted().filter(
        name__in=["SAN-VLO-01", "SAN-RMD-01", "ESX-VLO-01", "ESX-RMD-03"]).select_related("organisation")}
    staff = {user.username: user for user in User.objects.filter(
        username__in=["teamleider", "manager-ict", "beheerder", "piket"])}
    if provider is None or "SAN-VLO-01" not in items or len(staff) < 4:
        return {}
    lead, manager, engineer, on_call = staff["teamleider"], staff["manager-ict"], staff["beheerder"], staff["piket"]
    made = {}
    with audit_context(actor_label="demo"):
        def change(actor, items_, **values):
            values.setdefault("organisation", provider)
            values.setdefault("owner", actor)
            return services.save_change(actor, None, values, items=items_)

        # Two normal changes of the same storage system in overlapping windows (the conflict).
        firmware = change(engineer, [items["SAN-VLO-01"]], title="Firmware-update NetApp SAN-VLO-01 naar ONTAP 9.15",
                          kind=ChangeKind.NORMAL, risk=Risk.HIGH, planned_start=_at(5, 20),
                          planned_end=_at(5, 23), **PLAN)
        services.submit(engineer, firmware)
        services.decide(lead, firmware, True, "Akkoord, mits de replicatie vooraf is gecontroleerd.")
        services.decide(manager, firmware, True, "Akkoord.")
        made["scheduled"] = services.schedule(engineer, firmware)
        capacity = change(on_call, [items["SAN-VLO-01"]], title="Uitbreiding schijfcapaciteit SAN-VLO-01 (2 shelves)",
                          kind=ChangeKind.NORMAL, risk=Risk.MEDIUM, planned_start=_at(5, 22),
                          planned_end=_at(6, 1), **{**PLAN, "rollback_plan": "Nieuwe shelves loskoppelen."})
        made["submitted"] = services.submit(on_call, capacity)
        # A standard change, done and closed.
        patches = StandardChangeTemplate.objects.unrestricted().filter(code="windows-patches").first()
        if patches is not None and "ESX-VLO-01" in items:
            standard = change(engineer, [items["ESX-VLO-01"]], title="Maandelijkse updates ESX-VLO-01",
                              kind=ChangeKind.STANDARD, template=patches, planned_start=_at(-6, 19),
                              planned_end=_at(-6, 21), test_plan="Diensten controleren na herstart.")
            services.submit(engineer, standard)
            services.schedule(engineer, standard)
            services.start(engineer, standard, at=_at(-6, 19))
            services.complete(engineer, standard, True, "Updates geïnstalleerd, host herstart.", at=_at(-6, 20))
            made["closed"] = services.close(engineer, standard, "Zonder verstoring uitgevoerd.")
        # An emergency change started before the board's approval, approved afterwards.
        if "ESX-RMD-03" in items:
            emergency = change(on_call, [items["ESX-RMD-03"]], title="Spoed: vervangen defecte voeding ESX-RMD-03",
                               kind=ChangeKind.EMERGENCY, risk=Risk.MEDIUM, planned_start=_at(0, 8),
                               planned_end=_at(0, 10), **{**PLAN, "test_result": "Voeding getest door de leverancier."})
            services.submit(on_call, emergency)
            services.start(on_call, emergency, at=_at(0, 8))
            made["in_progress"] = services.decide(manager, emergency, True, "Achteraf akkoord: geen alternatief.")
        # A rejected change and a draft.
        if "SAN-RMD-01" in items:
            rejected = change(engineer, [items["SAN-RMD-01"]], title="Deduplicatie inschakelen op SAN-RMD-01",
                              kind=ChangeKind.NORMAL, risk=Risk.HIGH, planned_start=_at(12, 20),
                              planned_end=_at(12, 23), **PLAN)
            services.submit(engineer, rejected)
            made["rejected"] = services.decide(lead, rejected, False, "Eerst de prestatie-impact meten.")
            made["draft"] = change(engineer, [items["SAN-RMD-01"]], title="Vervangen controller SAN-RMD-01",
                                   kind=ChangeKind.NORMAL, risk=Risk.MEDIUM, planned_start=_at(20, 20),
                                   planned_end=_at(20, 22))
    return made
