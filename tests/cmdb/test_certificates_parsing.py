"""Reading uploads: PEM (one, many, a chain), DER, PKCS#12 with and without a password;
private keys refused (PEM) or dropped (PKCS#12); garbage named as such."""

import pytest

from regie.cmdb.certificates import generate
from regie.cmdb.certificates.parsing import (
    MAX_UPLOAD_BYTES,
    CertificateParseError,
    hostname_matches,
    parse_certificates,
)


@pytest.fixture(scope="module")
def pki():
    root = generate.make_ca("Test Root", key="rsa")
    intermediate = generate.make_ca("Test Intermediate", issuer=root)
    leaf = generate.make_leaf(intermediate, "www.venlo.nl", sans=["www.venlo.nl", "*.venlo.nl", "10.1.2.3"],
                              key="rsa")
    other = generate.make_leaf(intermediate, "portal.weert.nl")
    return {"root": root, "intermediate": intermediate, "leaf": leaf, "other": other}


def test_pem_chain_gives_one_leaf_with_its_chain_in_order(pki):
    # Given in a scrambled order: the chain is rebuilt from the signatures.
    result = parse_certificates(pki["root"].pem + pki["leaf"].pem + pki["intermediate"].pem)
    assert result.source_format == "PEM" and not result.key_dropped
    (leaf,) = result.certificates
    assert leaf.common_name == "www.venlo.nl"
    assert leaf.sans == ["www.venlo.nl", "*.venlo.nl", "10.1.2.3"]
    assert [entry["subject"] for entry in leaf.chain] == ["CN=Test Intermediate,O=Regie demo,C=NL",
                                                         "CN=Test Root,O=Regie demo,C=NL"]
    assert leaf.key_type == "RSA" and leaf.key_size == 2048
    assert leaf.signature_algorithm == "ecdsa-with-SHA256"  # signed by the EC intermediate
    assert len(leaf.fingerprint_sha256) == 64 and leaf.issuer.startswith("CN=Test Intermediate")
    assert not leaf.is_ca


def test_pem_with_two_leaves_gives_two_certificates(pki):
    result = parse_certificates(pki["leaf"].pem + pki["other"].pem + pki["intermediate"].pem)
    assert sorted(c.common_name for c in result.certificates) == ["portal.weert.nl", "www.venlo.nl"]
    assert all(len(c.chain) == 1 for c in result.certificates)


def test_der(pki):
    (leaf,) = parse_certificates(pki["other"].der).certificates
    assert leaf.common_name == "portal.weert.nl" and leaf.key_type == "EC secp256r1" and leaf.key_size == 256


def test_pkcs12_takes_the_certificates_and_drops_the_key(pki):
    data = generate.pkcs12_bytes(pki["leaf"], [pki["intermediate"]], password="Geheim!")
    result = parse_certificates(data, "Geheim!")
    assert result.source_format == "PKCS#12" and result.key_dropped
    assert "PRIVATE KEY" not in result.pem and result.pem.count("BEGIN CERTIFICATE") == 2
    assert result.certificates[0].common_name == "www.venlo.nl"


@pytest.mark.parametrize(("password", "code"), [("", "password_required"), ("wrong", "wrong_password")])
def test_pkcs12_password_problems(pki, password, code):
    data = generate.pkcs12_bytes(pki["leaf"], password="Geheim!")
    with pytest.raises(CertificateParseError) as caught:
        parse_certificates(data, password)
    assert caught.value.code == code


def test_pem_with_a_private_key_is_refused(pki):
    with pytest.raises(CertificateParseError) as caught:
        parse_certificates(pki["leaf"].pem + pki["leaf"].key_pem)
    assert caught.value.code == "private_key" and "private key" in caught.value.message


@pytest.mark.parametrize("data", [
    b"Dit is geen certificaat\n" * 5,
    b"\x30\x82\x01\x00garbage" * 4,
    b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
    b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
])
def test_garbage_is_not_a_certificate(data):
    with pytest.raises(CertificateParseError) as caught:
        parse_certificates(data)
    assert caught.value.message == "not a certificate (PEM, DER or PKCS#12)"


def test_size_limit_and_empty():
    with pytest.raises(CertificateParseError) as caught:
        parse_certificates(b"x" * (MAX_UPLOAD_BYTES + 1))
    assert caught.value.code == "too_large"
    with pytest.raises(CertificateParseError):
        parse_certificates(b"")


@pytest.mark.parametrize(("host", "matches"), [
    ("www.venlo.nl", True), ("WWW.Venlo.NL.", True), ("mail.venlo.nl", True), ("a.b.venlo.nl", False),
    ("venlo.nl", False), ("10.1.2.3", True), ("10.1.2.4", False), ("www.weert.nl", False),
])
def test_hostname_matching(pki, host, matches):
    (leaf,) = parse_certificates(pki["leaf"].pem).certificates
    assert hostname_matches(leaf, host) is matches
