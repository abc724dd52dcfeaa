"""Certificate API: list and detail (scoped), create by multipart upload or JSON PEM text,
dry run, update, the checks resource, and problem+json on bad input."""

import pytest
from certificate_tls import closed_port
from django.core.files.uploadedfile import SimpleUploadedFile

from regie.cmdb.certificates import generate
from regie.cmdb.certificates.factories import CertificateFactory, EndpointCheckFactory, EndpointFactory
from regie.cmdb.certificates.models import Certificate, EndpointCheck
from regie.cmdb.factories import ConfigurationItemFactory
from regie.core.factories import UserFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/certificates"


@pytest.fixture
def keeper(provider):
    return UserFactory(organisation=provider, roles=["engineer"])


@pytest.fixture(scope="module")
def pki():
    ca = generate.make_ca("API CA")
    return {"ca": ca, "leaf": generate.make_leaf(ca, "www.weert.nl", sans=["www.weert.nl", "weert.nl"], days=25)}


def _problem(response, status=400):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_list_detail_and_tenancy(keeper, venlo, roermond, client_for, django_assert_max_num_queries):
    own = CertificateFactory(organisation=venlo, common_name="www.venlo.nl", days_left=10)
    EndpointFactory(certificate=own)
    other = CertificateFactory(organisation=roermond, common_name="www.roermond.nl")
    for _index in range(10):
        EndpointFactory(certificate=CertificateFactory(organisation=venlo))
    client = client_for(keeper)
    client.get(BASE)
    with django_assert_max_num_queries(10):
        body = client.get(BASE).json()
    assert len(body["results"]) == 12
    assert client.get(BASE, {"status": "expiring"}).json()["results"][0]["commonName"] == "www.venlo.nl"
    detail = client.get(f"{BASE}/{own.pk}").json()
    assert detail["status"] == "expiring" and detail["daysLeft"] == 10 and detail["endpoints"] == ["www.venlo.nl:443"]
    assert detail["warningThresholds"] == [60, 30, 14, 7] and detail["chain"][0]["subject"].startswith("CN=Regie")
    manager = client_for(UserFactory(organisation=venlo, roles=["account_manager"]))
    assert {c["id"] for c in manager.get(BASE).json()["results"]} == set(
        Certificate.objects.unrestricted().filter(organisation=venlo).values_list("pk", flat=True))
    _problem(manager.get(f"{BASE}/{other.pk}"), 404)
    _problem(manager.get(f"{BASE}/{other.pk}/checks"), 404)
    _problem(manager.post(f"{BASE}/{own.pk}/checks", {}, content_type="application/json"), 403)


def test_create_by_multipart_upload(keeper, roermond, pki, client_for):
    item = ConfigurationItemFactory(organisation=roermond, name="Website Weert")
    response = client_for(keeper).post(BASE, {
        "organisation": roermond.pk, "file": SimpleUploadedFile("weert.der", pki["leaf"].der),
        "items": [item.pk], "endpoints": ["www.weert.nl", "weert.nl:8443"], "warningThresholds": [30, 14],
    })
    assert response.status_code == 201, response.content
    body = response.json()
    (created,) = body["certificates"]
    assert created["subjectAlternativeNames"] == ["www.weert.nl", "weert.nl"] and created["items"] == [item.pk]
    assert created["endpoints"] == ["weert.nl:8443", "www.weert.nl:443"] and created["warningThresholds"] == [30, 14]
    assert response["Location"] == f"{BASE}/{created['id']}" and body["keyDropped"] is False


def test_create_from_pkcs12_says_the_key_was_dropped(keeper, roermond, pki, client_for):
    data = generate.pkcs12_bytes(pki["leaf"], [pki["ca"]], password="pw")
    response = client_for(keeper).post(BASE, {
        "organisation": roermond.pk, "file": SimpleUploadedFile("weert.p12", data), "password": "pw"})
    body = response.json()
    assert response.status_code == 201 and body["keyDropped"] is True
    assert "was not stored" in body["messages"][0]
    assert "PRIVATE" not in body["certificates"][0]["pem"]


def test_create_from_json_pem_and_dry_run(keeper, roermond, pki, client_for):
    client = client_for(keeper)
    payload = {"organisation": roermond.pk, "pem": (pki["leaf"].pem + pki["ca"].pem).decode()}
    preview = client.post(f"{BASE}?dryRun=true", payload, content_type="application/json")
    assert preview.status_code == 200 and preview.json()[0]["commonName"] == "www.weert.nl"
    assert not Certificate.objects.unrestricted().exists()
    created = client.post(BASE, payload, content_type="application/json")
    assert created.status_code == 201
    duplicate = _problem(client.post(BASE, payload, content_type="application/json"))
    assert duplicate["invalidParams"][0]["name"] == "file" and "already in the register" in \
        duplicate["invalidParams"][0]["reason"]


@pytest.mark.parametrize(("payload", "field", "reason"), [
    ({"pem": "nonsense"}, "file", "not a certificate (PEM, DER or PKCS#12)"),
    ({"pem": "KEY"}, "file", "private key"),
    ({}, "file", "exactly one"),
    ({"pem": "LEAF", "warningThresholds": [0]}, "warningThresholds", "between 1 and 365"),
    ({"pem": "LEAF", "endpoints": ["bad host!"]}, "endpoints", "not a host name"),
    ({"pem": "LEAF", "organisation": 999999}, "organisation", ""),
    ({"pem": "LEAF", "fingerprint": "x"}, "fingerprint", "unknown"),
])
def test_bad_input_is_a_problem_and_writes_nothing(keeper, roermond, pki, client_for, payload, field, reason):
    body = {"organisation": roermond.pk, **payload}
    if body.get("pem") == "LEAF":
        body["pem"] = pki["leaf"].pem.decode()
    elif body.get("pem") == "KEY":
        body["pem"] = (pki["leaf"].pem + pki["leaf"].key_pem).decode()
    problem = _problem(client_for(keeper).post(BASE, body, content_type="application/json"))
    names = {p["name"]: p["reason"] for p in problem["invalidParams"]}
    assert field in names and reason in names[field]
    assert not Certificate.objects.unrestricted().exists()


def test_wrong_pkcs12_password_is_a_field_problem(keeper, roermond, pki, client_for):
    data = generate.pkcs12_bytes(pki["leaf"], password="right")
    problem = _problem(client_for(keeper).post(BASE, {
        "organisation": roermond.pk, "file": SimpleUploadedFile("x.p12", data), "password": "wrong"}))
    assert problem["invalidParams"] == [{"name": "password", "code": "wrong_password",
                                         "reason": "The password does not open this PKCS#12 file."}]


def test_participant_may_not_create(venlo, pki, client_for):
    client = client_for(UserFactory(organisation=venlo, roles=["account_manager"]))
    _problem(client.post(BASE, {"organisation": venlo.pk, "pem": pki["leaf"].pem.decode()},
                         content_type="application/json"), 403)


def test_update(keeper, venlo, client_for):
    certificate = CertificateFactory(organisation=venlo)
    client = client_for(keeper)
    response = client.patch(f"{BASE}/{certificate.pk}", {"warningThresholds": [45, 5], "endpoints": ["a.venlo.nl"]},
                            content_type="application/json")
    assert response.status_code == 200 and response.json()["warningThresholds"] == [45, 5]
    assert response.json()["endpoints"] == ["a.venlo.nl:443"]
    problem = _problem(client.patch(f"{BASE}/{certificate.pk}", {"warningThresholds": ["soon"]},
                                    content_type="application/json"))
    assert problem["invalidParams"][0]["name"].startswith("warningThresholds")


def test_checks_history_and_check_now(keeper, venlo, client_for):
    certificate = CertificateFactory(organisation=venlo)
    EndpointCheckFactory(endpoint=EndpointFactory(certificate=certificate, host="www.venlo.nl"))
    client = client_for(keeper)
    history = client.get(f"{BASE}/{certificate.pk}/checks").json()
    assert [c["endpoint"] for c in history["results"]] == ["www.venlo.nl:443"]
    _problem(client.post(f"{BASE}/{certificate.pk}/checks", {"endpoint": "other.example:443"},
                         content_type="application/json"))
    silent = EndpointFactory(certificate=certificate, host="127.0.0.1", port=closed_port())
    response = client.post(f"{BASE}/{certificate.pk}/checks", {"endpoint": str(silent)},
                           content_type="application/json")
    assert response.status_code == 201
    (check,) = response.json()
    assert check["result"] == "failed" and check["problems"][0]["code"] == "no_answer"
    assert check["problems"][0]["message"] == "The endpoint does not answer: connection refused."
    assert EndpointCheck.objects.unrestricted().filter(certificate=certificate).count() == 2
