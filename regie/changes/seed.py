"""The catalogue of pre-approved standard changes (loaded by migration 0002; idempotent)."""

TEMPLATES = [
    ("windows-patches", "Maandelijkse Windows-updates op servers",
     "Installeren van de maandelijkse beveiligingsupdates van Microsoft op servers binnen het onderhoudsvenster.",
     "low", "Snapshot maken, updates installeren, herstarten, diensten controleren.",
     "Snapshot terugzetten of de update verwijderen."),
    ("vm-capacity", "Extra schijfruimte of geheugen voor een virtuele server",
     "Vergroten van schijf of geheugen van een virtuele server binnen de vastgestelde capaciteit.",
     "low", "Capaciteit toevoegen in vSphere, bestandssysteem vergroten, controleren.",
     "Geheugen terugzetten; een vergrote schijf blijft (geen verlies van gegevens)."),
    ("certificate-renewal", "Vernieuwen van een certificaat",
     "Vervangen van een verlopend TLS-certificaat door het vernieuwde certificaat van dezelfde uitgever.",
     "low", "Certificaat installeren, binding aanpassen, controleren met de certificaatcheck.",
     "Het vorige certificaat opnieuw binden zolang het geldig is."),
    ("switch-firmware", "Firmware-update van een toegangsswitch",
     "Bijwerken van de firmware van een toegangsswitch naar de goedgekeurde versie.",
     "low", "Configuratie bewaren, firmware laden, herstarten, poorten controleren.",
     "Terug naar de vorige firmware-image in de tweede partitie."),
]


def load(apps, schema_editor=None):
    Template = apps.get_model("changes", "StandardChangeTemplate")
    for code, name, description, risk, steps, rollback in TEMPLATES:
        Template.objects.get_or_create(code=code, defaults=dict(
            name=name, description=description, risk=risk, implementation_steps=steps, rollback_plan=rollback,
        ))
