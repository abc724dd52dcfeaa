"""Certificate rules (§4.7.4): import without private keys, where installed, endpoint checks
and expiry warnings.

- Import (`preview_upload`, `import_certificates`, `register_from_endpoint`): one register
  row per leaf, its intermediates in `chain`; the SHA-256 fingerprint is unique per
  organisation; all or nothing.
- Endpoint checks (`check_endpoint`): what host:port serves, against the register; every
  outcome is a recorded EndpointCheck, a silent host included.
- Warnings (`send_expiry_warnings`, on beat): at the certificate's own thresholds (default
  60/30/14/7 days), to the requesting participant and the provider, exactly once per
  certificate and threshold (a CertificateWarning row, unique on both).
"""

import datetime
import ipaddress
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regie.core.audit import audited_delete

from . import endpoint as tls
from .models import (
    DEFAULT_THRESHOLDS,
    Certificate,
    CertificateStatus,
    CertificateWarning,
    CheckResult,
    Endpoint,
    EndpointCheck,
    Installation,
)
from .parsing import CertificateParseError, chain_entry, hostname_matches, leaf_from_der, parse_certificates

VIEW_PERMISSION = "cmdb.view_configurationitem"
KEEP_PERMISSION = "cmdb.change_configurationitem"
MAX_THRESHOLDS = 6
MAX_ENDPOINTS = 20
PARTICIPANT_ROLES = ("account_manager", "representative")
_HOST = re.compile(r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$")

PROBLEM_MESSAGES = {
    "no_answer": gettext_lazy("The endpoint does not answer: %(error)s."),
    "expired": gettext_lazy("The served certificate expired on %(date)s."),
    "not_yet_valid": gettext_lazy("The served certificate is not valid before %(date)s."),
    "hostname": gettext_lazy("The served certificate does not name %(host)s."),
    "verification": gettext_lazy("The chain does not verify: %(error)s."),
    "other_certificate": gettext_lazy("The endpoint serves another certificate than the registered one."),
}


def problem_message(problem):
    template = PROBLEM_MESSAGES.get(problem.get("code"))
    if template is None:
        return problem.get("code", "")
    params = dict(problem.get("params") or {})
    if "date" in params:
        try:
            params["date"] = formats.date_format(datetime.date.fromisoformat(params["date"]), "SHORT_DATE_FORMAT")
        except ValueError:
            pass
    return str(template) % params


def may_view(user):
    return user.has_perm(VIEW_PERMISSION)


def may_keep(user):
    """Registering, changing and checking certificates: the provider's CMDB keepers."""
    return bool(getattr(user, "is_provider_staff", False) and user.has_perm(KEEP_PERMISSION))


def _require_keeper(actor):
    if not may_keep(actor):
        raise PermissionDenied(_("Only the provider's CMDB keepers register and change certificates."))


# --- input -------------------------------------------------------------------------------------

def clean_thresholds(value):
    """Days before expiry to warn at: 1–6 distinct whole numbers from 1 to 365, largest first."""
    if value in (None, "", []):
        return list(DEFAULT_THRESHOLDS)
    if isinstance(value, str):
        parts = [part.strip() for part in re.split(r"[,;\s]+", value) if part.strip()]
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise ValidationError({"warning_thresholds": [_("Give the days as a list of numbers, e.g. 60, 30, 14, 7.")]})
    days = set()
    for part in parts:
        if isinstance(part, bool):
            part = "x"
        try:
            number = int(part)
        except (TypeError, ValueError):
            raise ValidationError(
                {"warning_thresholds": [_("“%(value)s” is not a number of days.") % {"value": str(part)[:20]}]}
            ) from None
        if not 1 <= number <= 365:
            raise ValidationError({"warning_thresholds": [_("Each threshold lies between 1 and 365 days.")]})
        days.add(number)
    if len(days) > MAX_THRESHOLDS:
        raise ValidationError({"warning_thresholds": [
            _("At most %(count)d thresholds.") % {"count": MAX_THRESHOLDS}]})
    return sorted(days, reverse=True)


def _clean_host(host):
    host = (host or "").strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not _HOST.match(host):
        raise ValueError(host)
    return host.rstrip(".")


def parse_endpoint(value):
    """“host”, “host:port” or “[IPv6]:port” → (host, port); port 443 when not given."""
    if isinstance(value, tuple | list) and len(value) == 2:
        host, port = value
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise ValueError(value)
        return _clean_host(str(host)), port
    text = str(value or "").strip()
    host, port = text, 443
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(text)
        host, rest = text[:end + 1], text[end + 1:]
        if rest:
            if not rest.startswith(":"):
                raise ValueError(text)
            port = rest[1:]
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise ValueError(text) from None
    if not 1 <= port <= 65535:
        raise ValueError(text)
    return _clean_host(host), port


def clean_endpoints(values, field_name="endpoints"):
    if isinstance(values, str):
        values = [v for v in re.split(r"[\s,;]+", values) if v]
    cleaned = []
    for value in values or []:
        try:
            pair = parse_endpoint(value)
        except ValueError:
            raise ValidationError({field_name: [
                _("“%(value)s” is not a host name or address with an optional port (host:port).")
                % {"value": str(value)[:100]}]}) from None
        if pair not in cleaned:
            cleaned.append(pair)
    if len(cleaned) > MAX_ENDPOINTS:
        raise ValidationError({field_name: [_("At most %(count)d endpoints.") % {"count": MAX_ENDPOINTS}]})
    return cleaned


def read_upload(data, password=""):
    """The certificates in an upload, or a ValidationError on the `file` field (or `password`)."""
    try:
        return parse_certificates(data, password or "")
    except CertificateParseError as exc:
        name = "password" if exc.code in ("wrong_password", "password_required") else "file"
        raise ValidationError({name: [ValidationError(exc.message, code=exc.code)]}) from None


def _check_items(items, organisation):
    for item in items:
        if item.organisation_id != organisation.pk and not item.organisation.is_provider:
            raise ValidationError({"items": [
                _("%(item)s belongs to another participant.") % {"item": item}]})


# --- import ------------------------------------------------------------------------------------

@dataclass
class Preview:
    result: object
    duplicates: dict = field(default_factory=dict)  # fingerprint → existing Certificate

    @property
    def certificates(self):
        return self.result.certificates

    @property
    def key_dropped(self):
        return self.result.key_dropped


def preview_upload(actor, organisation, data, password=""):
    """Dry run: what would be registered. Writes nothing."""
    _require_keeper(actor)
    result = read_upload(data, password)
    duplicates = {}
    if organisation is not None:
        fingerprints = [parsed.fingerprint_sha256 for parsed in result.certificates]
        duplicates = {
            cert.fingerprint_sha256: cert
            for cert in Certificate.objects.unrestricted().filter(organisation=organisation,
                                                                  fingerprint_sha256__in=fingerprints)
        }
    return Preview(result=result, duplicates=duplicates)


@dataclass
class ImportOutcome:
    certificates: list
    key_dropped: bool = False

    @property
    def messages(self):
        messages = []
        if self.key_dropped:
            messages.append(_("The file held a private key. It was not stored: only the certificates were taken."))
        return messages


def _new_certificate(actor, organisation, parsed, thresholds, notes):
    chain = [{key: value for key, value in entry.items() if key != "certificate"} for entry in parsed.chain]
    certificate = Certificate(
        organisation=organisation, subject=parsed.subject, common_name=parsed.common_name, sans=parsed.sans,
        issuer=parsed.issuer, serial_number=parsed.serial_number, not_before=parsed.not_before,
        not_after=parsed.not_after, key_type=parsed.key_type, key_size=parsed.key_size,
        signature_algorithm=parsed.signature_algorithm, fingerprint_sha256=parsed.fingerprint_sha256,
        is_ca=parsed.is_ca, chain=chain, pem=parsed.pem, warning_thresholds=thresholds, notes=notes,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    certificate.save()
    return certificate


def _duplicate_error(parsed, existing):
    return ValidationError({"file": [ValidationError(
        _("%(name)s is already in the register of %(organisation)s.")
        % {"name": existing, "organisation": existing.organisation}, code="duplicate")]})


def import_certificates(actor, *, organisation, data, password="", items=(), endpoints=(), thresholds=None,
                        notes=""):
    """Register the upload's certificates (one row per leaf). All or nothing."""
    _require_keeper(actor)
    if organisation is None:
        raise ValidationError({"organisation": [_("Choose the requesting participant.")]})
    thresholds = clean_thresholds(thresholds)
    endpoints = clean_endpoints(endpoints)
    items = list(items or [])
    _check_items(items, organisation)
    result = read_upload(data, password)
    with transaction.atomic():
        created = []
        for parsed in result.certificates:
            existing = Certificate.objects.unrestricted().filter(
                organisation=organisation, fingerprint_sha256=parsed.fingerprint_sha256).first()
            if existing is not None:
                raise _duplicate_error(parsed, existing)
            certificate = _new_certificate(actor, organisation, parsed, thresholds, notes)
            for item in items:
                Installation.objects.unrestricted().create(certificate=certificate, item=item)
            for host, port in endpoints:
                Endpoint.objects.unrestricted().create(certificate=certificate, host=host, port=port)
            created.append(certificate)
    return ImportOutcome(certificates=created, key_dropped=result.key_dropped)


def read_endpoint(host, port):
    """What host:port serves, as a preview (nothing written): (ParsedCertificate, ProbeResult)."""
    result = _probe(host, port)
    if not result.answered or not result.leaf_der:
        raise ValidationError({"endpoint": [ValidationError(
            _("The endpoint does not answer: %(error)s.") % {"error": result.error or _("no certificate")},
            code="no_answer")]})
    parsed = leaf_from_der(result.leaf_der)
    for der in result.chain_der[1:]:
        from cryptography import x509

        entry = chain_entry(x509.load_der_x509_certificate(der))
        parsed.chain.append(entry)
    return parsed, result


def register_from_endpoint(actor, *, organisation, endpoint, items=(), thresholds=None, notes=""):
    """Register the certificate host:port serves, with the endpoint and its first check."""
    _require_keeper(actor)
    if organisation is None:
        raise ValidationError({"organisation": [_("Choose the requesting participant.")]})
    cleaned = clean_endpoints([endpoint] if endpoint else [], field_name="endpoint")
    if not cleaned:
        raise ValidationError({"endpoint": [_("Give the endpoint as host:port.")]})
    host, port = cleaned[0]
    thresholds = clean_thresholds(thresholds)
    items = list(items or [])
    _check_items(items, organisation)
    parsed, result = read_endpoint(host, port)
    with transaction.atomic():
        existing = Certificate.objects.unrestricted().filter(
            organisation=organisation, fingerprint_sha256=parsed.fingerprint_sha256).first()
        if existing is not None:
            raise ValidationError({"endpoint": [ValidationError(
                _("%(name)s is already in the register of %(organisation)s.")
                % {"name": existing, "organisation": existing.organisation}, code="duplicate")]})
        certificate = _new_certificate(actor, organisation, parsed, thresholds, notes)
        for item in items:
            Installation.objects.unrestricted().create(certificate=certificate, item=item)
        target = Endpoint.objects.unrestricted().create(certificate=certificate, host=host, port=port)
        _record_check(target, result)
    return certificate


# --- changes -----------------------------------------------------------------------------------

@transaction.atomic
def update_certificate(actor, certificate, values):
    """Change where it is installed, its endpoints, thresholds, notes or requesting participant."""
    _require_keeper(actor)
    certificate = Certificate.objects.unrestricted().select_for_update().get(pk=certificate.pk)
    if "organisation" in values and values["organisation"] is not None \
            and values["organisation"].pk != certificate.organisation_id:
        organisation = values["organisation"]
        clash = Certificate.objects.unrestricted().filter(
            organisation=organisation, fingerprint_sha256=certificate.fingerprint_sha256).exists()
        if clash:
            raise ValidationError({"organisation": [
                _("This certificate is already in the register of %(organisation)s.") % {"organisation": organisation}
            ]})
        certificate.organisation = organisation
    if "warning_thresholds" in values:
        certificate.warning_thresholds = clean_thresholds(values["warning_thresholds"])
    if "notes" in values:
        certificate.notes = values["notes"] or ""
    certificate.save()
    if "items" in values:
        items = list(values["items"] or [])
        _check_items(items, certificate.organisation)
        wanted = {item.pk for item in items}
        current = Installation.objects.unrestricted().filter(certificate=certificate)
        audited_delete(current.exclude(item_id__in=wanted))
        have = set(current.values_list("item_id", flat=True))
        for item in items:
            if item.pk not in have:
                Installation.objects.unrestricted().create(certificate=certificate, item=item)
    if "endpoints" in values:
        wanted = clean_endpoints(values["endpoints"])
        current = Endpoint.objects.unrestricted().filter(certificate=certificate)
        for existing in list(current):
            if (existing.host, existing.port) not in wanted:
                existing.delete()
        have = set(current.values_list("host", "port"))
        for host, port in wanted:
            if (host, port) not in have:
                Endpoint.objects.unrestricted().create(certificate=certificate, host=host, port=port)
    return certificate


# --- endpoint checks ---------------------------------------------------------------------------

def _probe(host, port):
    return tls.probe(
        host, port,
        timeout=float(getattr(settings, "REGIE_CERTIFICATE_CHECK_TIMEOUT", 10)),
        cafile=getattr(settings, "REGIE_CERTIFICATE_CA_FILE", "") or None,
        cadata=getattr(settings, "REGIE_CERTIFICATE_CA_PEM", "") or None,
    )


def _record_check(target, result, now=None):
    """Turn a probe's result into an EndpointCheck of `target` (an Endpoint)."""
    now = now or timezone.now()
    certificate = target.certificate
    check = EndpointCheck(certificate=certificate, endpoint=target, host=target.host, port=target.port,
                          checked_at=now, tls_version=result.tls_version)
    problems = []
    if not result.answered or not result.leaf_der:
        check.result = CheckResult.FAILED
        check.error = (result.error or _("no certificate"))[:500]
        problems.append({"code": "no_answer", "params": {"error": check.error}})
    else:
        from cryptography import x509

        served = leaf_from_der(result.leaf_der)
        check.fingerprint_seen = served.fingerprint_sha256
        check.subject_seen = served.subject
        check.not_after_seen = served.not_after
        check.matches_register = served.fingerprint_sha256 == certificate.fingerprint_sha256
        check.hostname_matches = hostname_matches(served, target.host)
        check.verified, check.verify_error = result.verified, result.verify_error
        check.full_chain_read = result.full_chain_read
        check.chain_seen = [chain_entry(x509.load_der_x509_certificate(der)) for der in result.chain_der[:10]]
        if served.not_after < now:
            problems.append({"code": "expired", "params": {"date": served.not_after.date().isoformat()}})
        elif served.not_before > now:
            problems.append({"code": "not_yet_valid", "params": {"date": served.not_before.date().isoformat()}})
        if not check.hostname_matches:
            problems.append({"code": "hostname", "params": {"host": target.host}})
        if check.verified is False:
            problems.append({"code": "verification", "params": {"error": check.verify_error}})
        if not check.matches_register:
            problems.append({"code": "other_certificate", "params": {}})
        check.result = CheckResult.PROBLEMS if problems else CheckResult.OK
    check.problems = problems
    with transaction.atomic():
        check.save()
        target.last_checked_at = now
        target.last_result = check.result
        target.save(update_fields=["last_checked_at", "last_result"])
    return check


def check_endpoint(target, now=None):
    """Connect to the endpoint, record what it serves. Never raises for network trouble."""
    return _record_check(target, _probe(target.host, target.port), now=now)


def check_certificate(actor, certificate, endpoint=None):
    """Check now (a person's action): every endpoint of the certificate, or the one given."""
    _require_keeper(actor)
    targets = list(Endpoint.objects.unrestricted().filter(certificate=certificate).select_related("certificate"))
    if endpoint:
        try:
            host, port = parse_endpoint(endpoint)
        except ValueError:
            raise ValidationError({"endpoint": [_("Give the endpoint as host:port.")]}) from None
        targets = [t for t in targets if (t.host, t.port) == (host, port)]
        if not targets:
            raise ValidationError({"endpoint": [_("This certificate has no such endpoint.")]})
    if not targets:
        raise ValidationError({"endpoint": [_("Add an endpoint (host:port) first; there is nothing to check.")]})
    return [check_endpoint(target) for target in targets]


def check_all_endpoints(now=None):
    """Beat: check every registered endpoint of a certificate that has not expired long ago."""
    now = now or timezone.now()
    targets = Endpoint.objects.unrestricted().filter(
        certificate__not_after__gte=now - datetime.timedelta(days=30)
    ).select_related("certificate").order_by("id")
    count = 0
    for target in targets.iterator(chunk_size=200):
        check_endpoint(target, now=now)
        count += 1
    return count


# --- warnings ----------------------------------------------------------------------------------

def due_threshold(certificate, now):
    """The smallest of the certificate's thresholds already reached, or None (expired: None)."""
    if certificate.not_after < now:
        return None
    left = certificate.not_after - now
    reached = [days for days in certificate.warning_thresholds or [] if left <= datetime.timedelta(days=days)]
    return min(reached) if reached else None


def participant_recipients(organisation):
    """The requesting participant's account manager and representative (the people in those
    roles, and the ones named on the organisation); its helpdesk address when there are none."""
    from regie.core.models import User

    if organisation is None or organisation.is_provider:
        return []
    people = list(
        User.objects.unrestricted().filter(organisation=organisation, is_active=True,
                                           groups__name__in=PARTICIPANT_ROLES).distinct().order_by("pk")
    )
    for named in (organisation.account_manager, organisation.representative):
        if named is not None and named.is_active and named not in people:
            people.append(named)
    if not people and organisation.email:
        return [organisation.email]
    return people


def provider_recipients():
    """The provider's team leads and ICT managers, plus the members of REGIE_CERTIFICATE_TEAM."""
    from regie.cmdb.contracts import provider_recipients as contract_people
    from regie.core.models import Team

    people = list(contract_people())
    team_name = getattr(settings, "REGIE_CERTIFICATE_TEAM", "")
    if team_name:
        for team in Team.objects.unrestricted().filter(name=team_name, organisation__kind="provider"):
            for person in [team.lead, *team.members.filter(is_active=True)]:
                if person is not None and person.is_active and person not in people:
                    people.append(person)
    return people


def send_expiry_warnings(now=None):
    """Beat: warn at each certificate's thresholds. Exactly once per (certificate, threshold):
    the CertificateWarning row is the record; a second run, a restart or a second worker finds
    it and sends nothing (and the outbox's dedup keys stand behind it)."""
    from regie.integrations.services import notify

    now = now or timezone.now()
    provider_people = provider_recipients()
    candidates = (
        Certificate.objects.unrestricted().with_status(CertificateStatus.EXPIRING, now)
        .select_related("organisation__account_manager", "organisation__representative").order_by("not_after", "id")
    )
    sent = 0
    for certificate in candidates.iterator(chunk_size=200):
        threshold = due_threshold(certificate, now)
        if threshold is None:
            continue
        if CertificateWarning.objects.unrestricted().filter(certificate=certificate, threshold=threshold).exists():
            continue
        people = [*participant_recipients(certificate.organisation), *provider_people]
        days_left = (certificate.not_after - now).days
        until = formats.date_format(timezone.localtime(certificate.not_after), "SHORT_DATE_FORMAT")
        try:
            with transaction.atomic():
                CertificateWarning.objects.unrestricted().create(
                    certificate=certificate, threshold=threshold, sent_at=now, days_left=days_left,
                    recipients=len(people),
                )
                notify(
                    "certificate.expiring", certificate, people,
                    {
                        "url": reverse("cmdb:certificate-detail", args=[certificate.pk]),
                        "title": format_lazy(gettext_lazy("Certificate {name} of {organisation} expires on {until}"),
                                             name=str(certificate), organisation=certificate.organisation.name,
                                             until=until),
                        "body": format_lazy(
                            gettext_lazy("The certificate {name} (issued by {issuer}) expires in {days} days. "
                                         "Request and install its successor in time."),
                            name=str(certificate), issuer=certificate.issuer, days=days_left,
                        ),
                    },
                    occurrence=f"certificate-expiry-{threshold}",
                )
        except IntegrityError:
            continue  # another run recorded this warning first
        sent += 1
    return sent
