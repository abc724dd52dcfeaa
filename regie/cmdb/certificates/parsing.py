"""Reading certificates from uploads (PEM, DER, PKCS#12) with `cryptography`.

Private keys are never stored, nor kept in memory longer than parsing takes:
- PEM text holding a private key is refused as a whole (the person should upload the
  certificate without its key);
- from a PKCS#12 file only the certificates are taken; the key is dropped and the result
  says so (`key_dropped`).
Anything else that is not a certificate is an error on the upload field.
"""

import datetime
import hashlib
import ipaddress
import re
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 256 * 1024
MAX_CERTIFICATES = 20

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")
# A PKCS#12 PFX starts SEQUENCE { INTEGER 3, SEQUENCE { OID pkcs7-data ... } }.
_PKCS7_DATA_OID = bytes.fromhex("06092a864886f70d010701")


def not_a_certificate():
    return _("not a certificate (PEM, DER or PKCS#12)")


class CertificateParseError(Exception):
    """The upload cannot be read; `code` says why, the message is for people."""

    def __init__(self, message, code="invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class ParsedCertificate:
    certificate: x509.Certificate = field(repr=False)
    subject: str
    common_name: str
    sans: list
    issuer: str
    serial_number: str
    not_before: datetime.datetime
    not_after: datetime.datetime
    key_type: str
    key_size: int | None
    signature_algorithm: str
    fingerprint_sha256: str
    is_ca: bool
    chain: list = field(default_factory=list)

    @property
    def pem(self):
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def summary(self):
        return {"subject": self.subject, "issuer": self.issuer, "fingerprint": self.fingerprint_sha256,
                "not_after": self.not_after.isoformat()}


@dataclass
class ParseResult:
    certificates: list  # the leaves to register, each with its chain
    key_dropped: bool = False
    source_format: str = ""

    @property
    def pem(self):
        """Every certificate read (leaves and chain), PEM: the public part only."""
        seen, blocks = set(), []
        for leaf in self.certificates:
            for cert in [leaf.certificate, *[c["certificate"] for c in leaf.chain if "certificate" in c]]:
                der = cert.public_bytes(serialization.Encoding.DER)
                if der not in seen:
                    seen.add(der)
                    blocks.append(cert.public_bytes(serialization.Encoding.PEM).decode("ascii"))
        return "".join(blocks)


def fingerprint(cert):
    return cert.fingerprint(hashes.SHA256()).hex()


def _name(cert_name):
    return cert_name.rfc4514_string()[:1000]


def _common_name(cert_name):
    values = cert_name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value)[:300] if values else ""


def subject_alternative_names(cert):
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    names = [str(name) for name in extension.get_values_for_type(x509.DNSName)]
    names += [str(address) for address in extension.get_values_for_type(x509.IPAddress)]
    return names


def _key(cert):
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"[:20], key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return "unknown", None


def _signature_algorithm(cert):
    oid = cert.signature_algorithm_oid
    return (getattr(oid, "_name", "") or oid.dotted_string)[:100]


def _is_ca(cert):
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def describe(cert):
    """The register's fields of one certificate."""
    key_type, key_size = _key(cert)
    return ParsedCertificate(
        certificate=cert,
        subject=_name(cert.subject),
        common_name=_common_name(cert.subject),
        sans=subject_alternative_names(cert),
        issuer=_name(cert.issuer),
        serial_number=format(cert.serial_number, "x")[:100],
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_type=key_type,
        key_size=key_size,
        signature_algorithm=_signature_algorithm(cert),
        fingerprint_sha256=fingerprint(cert),
        is_ca=_is_ca(cert),
    )


def chain_entry(cert):
    return {
        "subject": _name(cert.subject),
        "issuer": _name(cert.issuer),
        "fingerprint": fingerprint(cert),
        "not_after": cert.not_valid_after_utc.isoformat(),
    }


def _issued_by(cert, issuer):
    if cert is issuer or cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:
        return False
    return True


def arrange(certs):
    """Leaves (certificates that issued none of the others) with their chains built from the rest."""
    unique = {}
    for cert in certs:
        unique.setdefault(cert.fingerprint(hashes.SHA256()), cert)
    certs = list(unique.values())
    issuers = {id(cert) for cert in certs for other in certs if other is not cert and _issued_by(other, cert)}
    leaves = [cert for cert in certs if id(cert) not in issuers] or certs[:1]
    result = []
    for leaf in leaves:
        parsed = describe(leaf)
        current, seen = leaf, {id(leaf)}
        while True:
            parent = next((c for c in certs if id(c) not in seen and _issued_by(current, c)), None)
            if parent is None:
                break
            entry = chain_entry(parent)
            entry["certificate"] = parent
            parsed.chain.append(entry)
            seen.add(id(parent))
            current = parent
        result.append(parsed)
    return result


def _read_pem(data):
    kinds = {match.group(1).decode("ascii", "replace") for match in _PEM_BLOCK.finditer(data)}
    if any("PRIVATE KEY" in kind for kind in kinds):
        raise CertificateParseError(
            _("This file holds a private key. Private keys are never stored in Regie: upload the certificate "
              "(and its chain) without the key."),
            code="private_key",
        )
    if "CERTIFICATE" not in kinds:
        raise CertificateParseError(not_a_certificate(), code="not_a_certificate")
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise CertificateParseError(not_a_certificate(), code="not_a_certificate") from exc


def _looks_like_pkcs12(data):
    return len(data) > 20 and data[0] == 0x30 and _PKCS7_DATA_OID in data[:40] and b"\x02\x01\x03" in data[:12]


def _read_pkcs12(data, password):
    secret = password.encode() if password else None
    try:
        bundle = pkcs12.load_pkcs12(data, secret)
    except ValueError as exc:
        if password:
            raise CertificateParseError(_("The password does not open this PKCS#12 file."),
                                        code="wrong_password") from exc
        raise CertificateParseError(_("This PKCS#12 file is protected by a password; enter the password."),
                                    code="password_required") from exc
    certs = []
    if bundle.cert is not None:
        certs.append(bundle.cert.certificate)
    certs += [extra.certificate for extra in bundle.additional_certs]
    if not certs:
        raise CertificateParseError(_("This PKCS#12 file holds no certificate."), code="not_a_certificate")
    return certs, bundle.key is not None


def parse_certificates(data, password=""):
    """Read an upload; raises CertificateParseError. Returns a ParseResult."""
    if not data:
        raise CertificateParseError(_("The file is empty."), code="empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise CertificateParseError(
            _("The file is too large (at most %(size)d KB).") % {"size": MAX_UPLOAD_BYTES // 1024}, code="too_large",
        )
    key_dropped = False
    if b"-----BEGIN" in data:
        certs, source = _read_pem(data), "PEM"
    else:
        try:
            certs, source = [x509.load_der_x509_certificate(data)], "DER"
        except ValueError:
            if not _looks_like_pkcs12(data):
                raise CertificateParseError(not_a_certificate(), code="not_a_certificate") from None
            certs, key_dropped = _read_pkcs12(data, password)
            source = "PKCS#12"
    if len(certs) > MAX_CERTIFICATES:
        raise CertificateParseError(
            _("The file holds more than %(count)d certificates.") % {"count": MAX_CERTIFICATES}, code="too_many",
        )
    return ParseResult(certificates=arrange(certs), key_dropped=key_dropped, source_format=source)


def leaf_from_der(der):
    """The register's fields of a certificate an endpoint served (DER)."""
    return describe(x509.load_der_x509_certificate(der))


# --- host names ---------------------------------------------------------------------------------

def _dns_matches(pattern, host):
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern == host:
        return True
    if pattern.startswith("*.") and "." in host:
        # A wildcard covers exactly one left-most label (RFC 6125 6.4.3).
        label, rest = host.split(".", 1)
        return bool(label) and rest == pattern[2:]
    return False


def hostname_matches(parsed, host):
    """Does the certificate name `host`? SANs first; the CN only when there are no SANs (legacy)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    names = parsed.sans or ([parsed.common_name] if parsed.common_name else [])
    for name in names:
        if address is not None:
            try:
                if ipaddress.ip_address(name) == address:
                    return True
            except ValueError:
                continue
        elif _dns_matches(name, host):
            return True
    return False


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()
