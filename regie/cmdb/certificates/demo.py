"""Demo certificates: the websites, e-services portals and webmail of the four municipalities
and the provider's own portal, issued at load time by a self-signed "Demo CA" (through a
"Demo Issuing CA" intermediate) made with `cryptography`. A few expire within 60, 30 and
7 days and one has expired, so the register and the warnings have something to show.
Placed on the CMDB's items when they exist (business services, applications, firewalls).
Idempotent: a certificate is added once per (organisation, common name).

    from regie.cmdb.certificates.demo import load_demo
    load_demo(random.Random(2026))

No endpoints are registered: the daily check would otherwise connect to the real sites.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from regie.cmdb.models import ConfigurationItem
from regie.core.audit import audit_context
from regie.core.choices import OrganisationKind
from regie.core.models import Organisation

from . import generate
from .models import Certificate, Installation
from .parsing import parse_certificates

DOMAINS = {"VNL": "venlo.nl", "RMD": "roermond.nl", "WRT": "weert.nl", "NDW": "nederweert.nl"}
# (host prefix, what it is, item type codes, name fragments to place it on, the first that matches)
SITES = [
    ("www", "Website", ("applicatie", "bedrijfsdienst"), ("website",)),
    # The e-loket is the citizens' side of the case system (zaaksysteem).
    ("mijn", "E-loket (mijn-omgeving)", ("applicatie", "bedrijfsdienst"), ("loket", "zaak")),
    ("webmail", "Webmail", ("bedrijfsdienst", "applicatie"), ("mail",)),
]
# Days left per (organisation code, host prefix); the rest gets 150–400 days.
SPECIAL = {("VNL", "www"): 24, ("RMD", "mijn"): 52, ("WRT", "webmail"): 6, ("NDW", "www"): -4,
           ("VNL", "webmail"): 13}


def _item_for(organisation, type_codes, fragments):
    for fragment in fragments:
        item = (
            ConfigurationItem.objects.unrestricted()
            .filter(organisation=organisation, ci_type__code__in=type_codes, name__icontains=fragment)
            .order_by("id").first()
        )
        if item is not None:
            return item
    return None


def _register(organisation, leaf, chain, notes, item=None):
    (parsed,) = parse_certificates(leaf.pem + b"".join(c.pem for c in chain)).certificates
    if Certificate.objects.unrestricted().filter(organisation=organisation, common_name=parsed.common_name).exists():
        return None
    certificate = Certificate.objects.unrestricted().create(
        organisation=organisation, subject=parsed.subject, common_name=parsed.common_name, sans=parsed.sans,
        issuer=parsed.issuer, serial_number=parsed.serial_number, not_before=parsed.not_before,
        not_after=parsed.not_after, key_type=parsed.key_type, key_size=parsed.key_size,
        signature_algorithm=parsed.signature_algorithm, fingerprint_sha256=parsed.fingerprint_sha256,
        is_ca=parsed.is_ca, pem=parsed.pem, notes=notes,
        chain=[{k: v for k, v in entry.items() if k != "certificate"} for entry in parsed.chain],
    )
    if item is not None:
        Installation.objects.unrestricted().create(certificate=certificate, item=item)
    return certificate


def load_demo(rng):
    """Returns the number of certificates added."""
    with audit_context(actor_label="demo"), transaction.atomic():
        participants = {
            o.code: o for o in Organisation.objects.unrestricted().filter(kind=OrganisationKind.PARTICIPANT)
        }
        provider = Organisation.objects.unrestricted().filter(kind=OrganisationKind.PROVIDER).order_by("pk").first()
        wanted = [code for code in DOMAINS if code in participants]
        if not wanted:
            return 0
        # Everything present already? Then no keys need making at all.
        expected = {(participants[c].pk, f"{p}.{DOMAINS[c]}") for c in wanted for p, *_rest in SITES}
        have = set(Certificate.objects.unrestricted().filter(
            organisation__in=[participants[c] for c in wanted]).values_list("organisation_id", "common_name"))
        if expected <= have:
            return 0
        root = generate.make_ca("Demo CA", days=7300)
        issuing = generate.make_ca("Demo Issuing CA", issuer=root, days=3650)
        now = timezone.now()
        added = 0
        for code in wanted:
            organisation = participants[code]
            domain = DOMAINS[code]
            for prefix, label, type_codes, fragments in SITES:
                host = f"{prefix}.{domain}"
                days = SPECIAL.get((code, prefix), rng.randint(150, 400))
                not_after = now + datetime.timedelta(days=days, hours=rng.randint(1, 20))
                sans = [host, domain] if prefix == "www" else [host]
                leaf = generate.make_leaf(
                    issuing, host, sans=sans, not_after=not_after,
                    not_before=min(not_after, now) - datetime.timedelta(days=365 - min(days, 0)),
                    key=rng.choice(["rsa", "ec"]), organisation=organisation.name,
                )
                item = _item_for(organisation, type_codes, fragments)
                if _register(organisation, leaf, [issuing, root], f"{label} {organisation.name}", item):
                    added += 1
        if provider is not None:
            host = "portaal.ictnml.nl"
            leaf = generate.make_leaf(issuing, host, sans=[host, "*.ictnml.nl"], days=rng.randint(200, 300),
                                      organisation=provider.name)
            item = _item_for(provider, ("firewall", "applicatie"), ("",))
            if _register(provider, leaf, [issuing, root], "Selfservice-portaal en Regie", item):
                added += 1
        return added
