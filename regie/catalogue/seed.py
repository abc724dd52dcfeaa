"""The catalogue as the agreement describes it (§3, §4.10). Data, not code: loaded once
by a data migration and editable afterwards. Texts are Dutch, as users read them."""

# code, group, name, included, description
SERVICES = [
    ("accounts-rechten", "system_setup", "Accounts en rechten", True,
     "Aanmaken, wijzigen en opheffen van accounts; autorisaties op AD, Oracle, SQL, startmenu, e-mail en "
     "netwerkschijven, altijd via groepen."),
    ("backup-restore", "system_setup", "Back-up en restore", True,
     "Dagelijkse disk-to-disk back-up (reversed incremental), 60 dagen bewaard; terugzetten tot 60 dagen terug."),
    ("certificaten", "system_setup", "Certificaten", True,
     "Installeren en registreren van certificaten die de gemeente aanvraagt; tijdig waarschuwen voor verlopen."),
    ("email", "system_setup", "E-mail", True, "Mailboxen, gedeelde mailboxen, distributielijsten en delegatie."),
    ("beveiliging-spam", "system_setup", "Beveiliging en spamfilter", True,
     "Virusbescherming op VDI-, mail-, internet- en serverniveau; spamfilter en vrijgeven van ten onrechte "
     "tegengehouden mail."),
    ("netwerktoegang", "system_setup", "Netwerktoegang en thuiswerken", True,
     "Toegang tot het netwerk, Wi-Fi en thuiswerken met RSA SecurID-tokens."),
    ("connectiviteit", "system_setup", "Connectiviteit", True,
     "Verbindingen tussen datacenters en locaties, Gemnet en internet (redundant)."),
    ("opslag", "system_setup", "Opslag (persoonlijke en gedeelde mappen)", True,
     "Persoonlijke en gedeelde mappen met quota; extra capaciteit op aanvraag met akkoord van de leidinggevende."),
    ("werkplek", "hardware", "Werkplek", True, "Virtuele werkplek, thin client, pc, monitor, laptop en tablet."),
    ("mobiel", "hardware", "Mobiele apparaten", True, "Smartphones en tablets in beheer."),
    ("printers-mfp", "hardware", "Printers en multifunctionals", True, "Printers, multifunctionals en scanners."),
    ("telefonie", "hardware", "Vaste telefonie", True, "Vaste telefonie zoals beschreven in de PDC."),
    ("applicaties", "applications", "Applicaties (tot het startscherm)", True,
     "Applicaties werkend tot het startscherm via applicatievirtualisatie; daarna de applicatiebeheerder "
     "van de gemeente."),
    ("advies", "advice", "Advies", False, "Advies op verzoek, per uur gefactureerd."),
    ("projecten", "advice", "Projecten", False, "Projecten, met projectstartarchitectuur (PSA), per uur gefactureerd."),
]

# code, name, what the provider does do (§4.10)
OUT_OF_SCOPE = [
    ("raas", "RAAS (reisdocumenten)",
     "Geen actief beheer. ICT NML kan wel contactpersoon zijn voor het melden van storingen en zorgt voor het "
     "wisselen en opslaan van back-up/restore-tapes; dit kan ook de applicatiebeheerder van de gemeente doen."),
    ("websites", "Websites (beheer en content)",
     "Functioneel en contentbeheer van internet- en intranetsites valt buiten de regeling. ICT NML levert wel de "
     "technische infrastructuur voor hosting en installeert en registreert de certificaten."),
    ("licenties-overig", "Licentiebeheer van overige applicaties",
     "ICT NML beheert licenties van besturingssystemen, beheertools, databases en MS Office. Licenties van andere "
     "applicaties (kantoor-, kern-, geo-, bedrijfsvoerings- en midofficeapplicaties) beheert de gemeente zelf."),
    ("audiovisueel", "Audiovisuele middelen",
     "Geen diensten voor beamers, videoconferencing, smartboards en geluid. Wel ondersteuning op de koppelvlakken, "
     "samen met de facilitaire afdeling van de gemeente of de leverancier."),
    ("toegangsbeveiliging", "Toegangsbeveiliging (pasjessystemen)",
     "Badge-lezers, bekabeling, de applicatie en de registratie van medewerkers vallen buiten de regeling. ICT NML "
     "beheert wel de infrastructuur waarop de applicatie draait en maakt back-ups en restores."),
]

# priority: (response minutes, resolution minutes) in working time; a working day is 9 hours.
DEFAULT_TARGETS = {1: (30, 240), 2: (60, 540), 3: (240, 1620), 4: (480, 2700), 5: (1440, 5400)}

OFFICE_HOURS = {str(day): [["08:00", "17:00"]] for day in range(5)}
AROUND_THE_CLOCK = {str(day): [["00:00", "24:00"]] for day in range(7)}


def load(apps):
    """Idempotent: creates what is missing, never overwrites edits."""
    Service = apps.get_model("catalogue", "Service")
    SlaTarget = apps.get_model("catalogue", "SlaTarget")
    BusinessCalendar = apps.get_model("catalogue", "BusinessCalendar")
    PriorityMatrixEntry = apps.get_model("catalogue", "PriorityMatrixEntry")
    BusinessCalendar.objects.get_or_create(
        name="Kantooruren ICT NML", defaults={"weekly_hours": OFFICE_HOURS, "public_holidays": True}
    )
    BusinessCalendar.objects.get_or_create(
        name="24×7", defaults={"weekly_hours": AROUND_THE_CLOCK, "public_holidays": False}
    )
    for code, group, name, included, description in SERVICES:
        Service.objects.get_or_create(
            code=code, defaults={"group": group, "name": name, "included": included, "description": description}
        )
    for code, name, provider_does in OUT_OF_SCOPE:
        Service.objects.get_or_create(
            code=code,
            defaults={"group": "system_setup" if code != "licenties-overig" else "applications", "name": name,
                      "is_out_of_scope": True, "included": False, "provider_does": provider_does},
        )
    for priority, (response, resolution) in DEFAULT_TARGETS.items():
        SlaTarget.objects.get_or_create(
            service=None, organisation=None, priority=priority,
            defaults={"response_minutes": response, "resolution_minutes": resolution},
        )
    matrix = {(1, 1): 1, (1, 2): 2, (1, 3): 3, (2, 1): 2, (2, 2): 3, (2, 3): 4, (3, 1): 3, (3, 2): 4, (3, 3): 5}
    for (impact, urgency), priority in matrix.items():
        PriorityMatrixEntry.objects.get_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})
