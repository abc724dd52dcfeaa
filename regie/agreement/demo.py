"""Demo agreement: version 1 of the DVO (a summary of the seed agreement, its term as the
agreement states it), signed by the four representatives and the provider's ICT manager, and
one open proposal (certificate handling) with 2 of 4 consents. Idempotent; run after the
demo organisations and people exist.

    from regie.agreement.demo import load_demo
    load_demo(random.Random(2026))
"""

import datetime

from django.db import transaction
from django.utils import timezone

from regie.core.audit import audit_context
from regie.core.choices import OrganisationKind
from regie.core.models import Organisation, User

from . import services
from .models import Agreement, AgreementVersion, Signatory

SUMMARY = (
    "Eerste vastgestelde versie van de dienstverleningsovereenkomst (DVO) tussen ICT NML en de deelnemende "
    "gemeenten: partijen, looptijd en akkoord (§1), de dienstverlening van de servicedesk, het beheer en "
    "onderhoud van werkplekken, servers, netwerk en applicaties (§2–§4), beveiliging en continuïteit (§4.5–§4.7), "
    "kosten en facturering (§6) en de algemene bepalingen, waaronder de wijziging van de DVO (§7.1)."
)
TEXT = (
    "1 Partijen, Looptijd en akkoord\n\n"
    "Doel: het eenduidig vastleggen van afspraken over de dienstverlening van ICT NML aangaande beheer, "
    "onderhoud, beveiliging en beschikbaarheid van de geautomatiseerde systemen van de deelnemende gemeenten.\n\n"
    "Looptijd: de looptijd van de DVO is gelijk aan de looptijd van de gemeenschappelijke regeling. Tussentijds "
    "kan de DVO op basis van substantiële wijzigingen in de behoefte worden aangepast.\n\n"
    "Akkoord: met de ondertekening gaan de partijen akkoord met de afspraken in deze DVO.\n\n"
    "7.1 Wijziging van de DVO\n\n"
    "Als een der partijen een wijziging van de afspraken wenst, wordt dit via het bestuur kenbaar gemaakt. "
    "De aanpassingen in de DVO moeten door alle deelnemende partijen worden aangegaan."
)


@transaction.atomic
def load_demo(rng):
    if Agreement.objects.unrestricted().exists():
        return {}
    provider = Organisation.objects.unrestricted().filter(kind=OrganisationKind.PROVIDER).order_by("pk").first()
    participants = list(Organisation.objects.unrestricted().filter(
        kind=OrganisationKind.PARTICIPANT, is_active=True).select_related("representative").order_by("name"))
    manager = User.objects.filter(username="manager-ict").first()
    if provider is None or manager is None or not participants or any(
            org.representative_id is None for org in participants):
        return {}
    start = datetime.date(timezone.localdate().year - 1, 1, 1)
    with audit_context(actor_label="demo"):
        agreement = Agreement.objects.create(
            title="Dienstverleningsovereenkomst ICT NML", provider=provider, start_date=start,
            renewal_terms="De looptijd van de DVO is gelijk aan de looptijd van de gemeenschappelijke regeling; "
                          "geen stilzwijgende verlenging nodig.",
            notice_period="Tussentijdse aanpassing bij substantiële wijziging in de behoefte, via het bestuur "
                          "(§7.1)",
        )
        agreement.parties.add(provider, *participants)
        version = AgreementVersion.objects.create(agreement=agreement, number=1, effective_date=start,
                                                  summary=SUMMARY, text=TEXT)
        signed_on = start - datetime.timedelta(days=14)
        Signatory.objects.create(version=version, organisation=provider, person=manager,
                                 name=manager.get_full_name(), signed=True, signed_on=signed_on)
        for org in participants:
            Signatory.objects.create(version=version, organisation=org, person=org.representative,
                                     name=org.representative.get_full_name(), signed=True, signed_on=signed_on)
        proposal = services.propose(manager, agreement, {
            "title": "Nieuwe paragraaf 4.7.6: beheer van certificaten",
            "changes": "Toevoegen §4.7.6: ICT NML houdt een register bij van alle certificaten en waar ze "
                       "geïnstalleerd zijn, waarschuwt 60 dagen voor het verlopen en vervangt ze op verzoek "
                       "van de deelnemer; de deelnemer levert het certificaat aan.",
            "reason": "Verlopen certificaten hebben dit jaar twee keer tot uitval van een website geleid; "
                      "§4.7.4 regelt alleen de installatie.",
        })
        proposal = services.open_for_consent(manager, proposal)
        for org in participants[:2]:
            services.consent(org.representative, proposal)
    return {"agreement": agreement, "proposal": proposal}
