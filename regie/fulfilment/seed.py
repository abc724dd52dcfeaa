"""The request types the agreement implies (§4.1–§4.10), each with its rule. Data, not
code: loaded idempotently by `ensure_loaded()` (data migration, demo, test factories) and
editable afterwards. Texts are Dutch, as users read them (like the catalogue's)."""


def f(name, label, kind="text", *, required=True, choices=None, help_text=""):
    spec = {"name": name, "label": label, "kind": kind, "required": required}
    if choices:
        spec["choices"] = choices
    if help_text:
        spec["help"] = help_text
    return spec


def t(title, team):
    return {"title": title, "team": team}


ACCESS_SYSTEMS = ["AD", "Oracle", "SQL", "Startmenu applicatie", "E-mail", "Netwerkschijf"]

# code, group, name, service code, rule, approval steps, fields, tasks, description
TYPES = [
    ("toegang", "access", "Toegang of autorisatie", "accounts-rechten", "access", ["manager"],
     [f("system", "Systeem", "choice", choices=ACCESS_SYSTEMS),
      f("group", "Groep", "group", help_text="Rechten gaan altijd naar een groep, nooit naar één account. "
        "Een groep mag één account bevatten."),
      f("folder", "Map (alleen bij netwerkschijf)", required=False,
        help_text="Altijd een hele map, bijvoorbeeld \\\\fs01\\afdeling\\financien"),
      f("rights", "Rechten", "choice", choices=["lezen", "wijzigen"]),
      f("reason", "Toelichting", required=False)],
     [t("Groep en rechten instellen", "Servicedesk 1e lijn")],
     "Toegang tot AD, Oracle, SQL, het startmenu, e-mail of netwerkschijven, altijd via een groep; "
     "akkoord van je leidinggevende."),
    ("mailboxdelegatie", "security", "Delegatie van je mailbox", "email", "mailbox_delegation", [],
     [f("mailbox", "Mailbox (e-mailadres)", help_text="Alleen de eigenaar van de mailbox vraagt dit aan."),
      f("delegate", "Gemachtigde", "person"),
      f("rights", "Rechten", "choice", choices=["lezen", "namens verzenden", "volledige toegang"])],
     [t("Delegatie instellen", "Servicedesk 1e lijn")],
     "Selfservice door de eigenaar van de mailbox; geen goedkeuring nodig."),
    ("extra-opslag", "storage", "Extra opslagcapaciteit", "opslag", "extra_storage", ["manager"],
     [f("folder", "Map of schijf"), f("extra_gb", "Extra capaciteit (GB)", "number"),
      f("reason", "Waarom is het nodig?")],
     [t("Quotum verhogen", "Servers & opslag")],
     "Extra capaciteit voor een persoonlijke of gedeelde map (§4.8); akkoord van je leidinggevende. "
     "Het toegekende quotum wordt vastgelegd voor het opslagtarief."),
    ("rsa-token", "security", "RSA SecurID-token", "netwerktoegang", "rsa_token", ["manager"],
     [f("action", "Wat is er nodig?", "choice", choices=["aanschaf", "registratie", "uitgifte", "vervanging"]),
      f("holder", "Voor wie", "person"),
      f("old_token", "Huidige token (bij vervanging)", "ci", required=False),
      f("reason", "Toelichting", required=False)],
     [t("Token registreren en uitgeven", "Netwerk")],
     "Aanschaf, registratie, uitgifte en vervanging bij een defect (§4.7.5); bij uitgifte wordt het token "
     "als configuratie-item vastgelegd en toegewezen."),
    ("restore", "storage", "Terugzetten (restore)", "backup-restore", "restore", [],
     [f("system", "Systeem", "ci"), f("path", "Map of bestand"), f("point_in_time", "Terugzetten naar", "date"),
      f("reason", "Toelichting", required=False)],
     [t("Restore uitvoeren", "Servers & opslag")],
     "Terugzetten van een systeem of map naar een moment binnen de bewaartermijn van 60 dagen (§4.5)."),
    ("spam-vrijgeven", "security", "Ten onrechte tegengehouden mail vrijgeven", "beveiliging-spam",
     "spam_release", [],
     [f("recipient", "Ontvanger (jouw e-mailadres)"), f("sender", "Afzender"), f("subject", "Onderwerp"),
      f("received_on", "Ontvangen op", "date")],
     [t("Mail vrijgeven", "Servicedesk 1e lijn")],
     "Vrijgeven van mail die het spamfilter ten onrechte heeft tegengehouden (§4.7.2)."),
    ("aanschaf-apparatuur", "workplace", "Aanschaf apparatuur", "werkplek", "equipment_purchase",
     ["manager", "provider"],
     [f("model", "Merk en type (standaard)", "model"), f("quantity", "Aantal", "number"),
      f("user", "Voor wie", "person", required=False), f("reason", "Toelichting", required=False)],
     [t("Bestellen bij de leverancier", "Werkplek"), t("Leveren en registreren", "Werkplek")],
     "Alleen modellen uit de standaardencatalogus, binnen een geldig raamcontract (§4.1.2); ICT NML "
     "beoordeelt. Bij levering wordt een configuratie-item aangemaakt."),
    ("aanschaf-applicatie", "applications", "Aanschaf applicatie", "applicaties", "application_purchase",
     ["information_advisor", "provider"],
     [f("application", "Applicatie"), f("supplier", "Leverancier"), f("licences", "Aantal licenties", "number"),
      f("reason", "Waarvoor", required=False)],
     [t("Applicatie virtualiseren en uitrollen", "Applicaties")],
     "Akkoord van de informatieadviseur van de gemeente en van ICT NML; ICT NML beoordeelt of de applicatie "
     "geschikt is voor applicatiestreaming (§4.2.1)."),
    ("certificaat", "security", "Installatie van een certificaat", "certificaten", "certificate", [],
     [f("certificate", "Certificaat (PEM/CRT)", "file"), f("target", "Installeren op", "ci"),
      f("notes", "Toelichting", required=False)],
     [t("Certificaat installeren", "Servers & opslag")],
     "De gemeente levert het certificaat; na installatie staat het in het certificatenregister met waar "
     "het is geïnstalleerd (§4.7.4)."),
    ("nieuwe-medewerker", "personnel", "Nieuwe medewerker", "accounts-rechten", "new_employee", ["manager"],
     [f("full_name", "Naam"), f("starts_on", "Eerste werkdag", "date"), f("department", "Afdeling"),
      f("manager", "Leidinggevende", "person"),
      f("workplace", "Werkplek", "choice", choices=["virtuele werkplek", "laptop", "thin client"]),
      f("groups", "Groepen", "group", required=False), f("token", "RSA-token nodig", "boolean", required=False)],
     [t("Account aanmaken", "Servicedesk 1e lijn"), t("Werkplek inrichten", "Werkplek"),
      t("Toegang via groepen", "Servicedesk 1e lijn"), t("RSA-token uitgeven", "Netwerk")],
     "Account, werkplek, toegang en token in één aanvraag, met deeltaken per team."),
    ("vertrekkende-medewerker", "personnel", "Vertrekkende medewerker", "accounts-rechten", "leaver", ["manager"],
     [f("person", "Medewerker", "person"), f("last_day", "Laatste werkdag", "date"),
      f("notes", "Toelichting", required=False)],
     [t("Account blokkeren en toegang intrekken", "Servicedesk 1e lijn")],
     "Toegang en apparatuur van de vertrekkende medewerker worden opgesomd om in te trekken."),
    ("advies", "advice", "Advies op verzoek (meerwerk)", "advies", "", [],
     [f("subject", "Onderwerp"), f("hours", "Geschat aantal uren", "number", required=False)],
     [t("Advies geven", "Management")],
     "Advies valt buiten de bijdrage en wordt per uur gefactureerd; een bevoegd persoon van de gemeente "
     "accepteert eerst de kosten."),
]

# Out-of-scope items (§4.10): the catalogue service says what the provider does; this who to turn to.
OUT_OF_SCOPE = {
    "raas": "Neem contact op met de applicatiebeheerder van je gemeente of met de leverancier van RAAS.",
    "websites": "Voor inhoud en functioneel beheer: de webredactie of communicatieafdeling van je gemeente.",
    "licenties-overig": "De applicatiebeheerder van je gemeente beheert deze licenties.",
    "audiovisueel": "De facilitaire afdeling van je gemeente of de leverancier van de middelen.",
    "toegangsbeveiliging": "De facilitaire afdeling van je gemeente (pasjes en registratie).",
}

EXTRA_COST = {"advies"}


def ensure_loaded(apps=None):
    """Idempotent: creates what is missing, never overwrites edits. `apps` is a migration's
    app registry, or None for the real models (demo, test factories)."""
    if apps is None:
        from django.apps import apps as real_apps

        apps = real_apps
    from regie.catalogue import seed as catalogue_seed

    catalogue_seed.load(apps)
    Service = apps.get_model("catalogue", "Service")
    RequestType = apps.get_model("fulfilment", "RequestType")
    services = {s.code: s for s in Service.objects.all()}
    for code, group, name, service, rule, steps, fields, tasks, description in TYPES:
        RequestType.objects.get_or_create(code=code, defaults={
            "group": group, "name": name, "service": services.get(service), "rule": rule,
            "approval_steps": steps, "fields": fields, "task_templates": tasks, "description": description,
            "extra_cost": code in EXTRA_COST,
        })
    for code, who in OUT_OF_SCOPE.items():
        service = services.get(code)
        if service is None:
            continue
        RequestType.objects.get_or_create(code=f"buiten-{code}", defaults={
            "group": "out_of_scope", "name": service.name, "service": service, "out_of_scope": True,
            "out_of_scope_text": who, "description": service.provider_does,
        })
