"""Certificate pages: the list (filters, search, CSV, query count), the detail, the upload
with its preview before saving, the edit page; tenancy (B gets 404) and read-only participants."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from regie.cmdb.certificates import generate
from regie.cmdb.certificates.factories import CertificateFactory, EndpointCheckFactory, EndpointFactory
from regie.cmdb.certificates.models import Certificate, Endpoint, Installation
from regie.cmdb.factories import ConfigurationItemFactory
from regie.core.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def keeper(provider):
    return UserFactory(organisation=provider, roles=["engineer"])


@pytest.fixture(scope="module")
def pki():
    ca = generate.make_ca("Upload CA")
    return {"ca": ca, "leaf": generate.make_leaf(ca, "mijn.roermond.nl", sans=["mijn.roermond.nl"], days=45)}


@pytest.fixture
def register(venlo, roermond):
    return {
        "expiring": CertificateFactory(organisation=venlo, common_name="www.venlo.nl", days_left=20),
        "expired": CertificateFactory(organisation=venlo, common_name="oud.venlo.nl", days_left=-5),
        "valid": CertificateFactory(organisation=venlo, common_name="portaal.venlo.nl", days_left=300),
        "roermond": CertificateFactory(organisation=roermond, common_name="www.roermond.nl", days_left=100),
    }


def _names(response):
    return {c.common_name for c in response.context["object_list"]}


def test_list_filters_search_and_query_count(keeper, register, client_for, django_assert_max_num_queries):
    client = client_for(keeper)
    url = reverse("cmdb:certificate-list")
    client.get(url)
    for _index in range(20):
        CertificateFactory(organisation=register["valid"].organisation)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200 and len(response.context["object_list"]) == 24
    assert _names(client.get(url, {"status": "expiring"})) == {"www.venlo.nl"}
    assert _names(client.get(url, {"status": "expired"})) == {"oud.venlo.nl"}
    assert _names(client.get(url, {"q": "roermond"})) == {"www.roermond.nl"}
    assert _names(client.get(url, {"organisation": register["roermond"].organisation_id})) == {"www.roermond.nl"}
    assert len(_names(client.get(url, {"issuer": "Regie Test CA"}))) == 24
    assert _names(client.get(url, {"issuer": "Someone else"})) == set()
    body = client.get(url, {"status": "expiring"}).content.decode()
    assert "www.venlo.nl" in body and "expiring" in body


def test_list_pages_with_a_cursor(keeper, venlo, client_for):
    for _index in range(55):
        CertificateFactory(organisation=venlo)
    client = client_for(keeper)
    first = client.get(reverse("cmdb:certificate-list"))
    assert len(first.context["object_list"]) == 50 and first.context["page"].has_next
    second = client.get(reverse("cmdb:certificate-list"), {"cursor": first.context["page"].next_cursor})
    assert len(second.context["object_list"]) == 5


def test_csv_export(keeper, register, client_for):
    response = client_for(keeper).get(reverse("cmdb:certificate-list"), {"status": "expired", "export": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200 and "oud.venlo.nl" in body and "www.venlo.nl" not in body
    assert register["expired"].fingerprint_sha256 in body


def test_participant_sees_own_certificates_only(venlo, register, client_for):
    manager = UserFactory(organisation=venlo, roles=["account_manager"])
    client = client_for(manager)
    assert _names(client.get(reverse("cmdb:certificate-list"))) == {"www.venlo.nl", "oud.venlo.nl",
                                                                   "portaal.venlo.nl"}
    assert client.get(reverse("cmdb:certificate-detail", args=[register["roermond"].pk])).status_code == 404
    detail = client.get(reverse("cmdb:certificate-detail", args=[register["expiring"].pk])).content.decode()
    assert "Check now" not in detail and "Edit" not in detail
    assert client.get(reverse("cmdb:certificate-upload")).status_code == 404
    assert client.get(reverse("cmdb:certificate-edit", args=[register["expiring"].pk])).status_code == 404
    assert client.post(reverse("cmdb:certificate-check", args=[register["expiring"].pk])).status_code == 404


def test_detail_shows_chain_installation_and_checks(keeper, venlo, register, client_for,
                                                     django_assert_max_num_queries):
    certificate = register["expiring"]
    item = ConfigurationItemFactory(organisation=venlo, name="WEB-VNL-01")
    Installation.objects.unrestricted().create(certificate=certificate, item=item)
    endpoint = EndpointFactory(certificate=certificate, host="www.venlo.nl")
    EndpointCheckFactory(endpoint=endpoint, result="problems", matches_register=False,
                         problems=[{"code": "hostname", "params": {"host": "www.venlo.nl"}}])
    client = client_for(keeper)
    url = reverse("cmdb:certificate-detail", args=[certificate.pk])
    client.get(url)
    with django_assert_max_num_queries(14):
        response = client.get(url)
    body = response.content.decode()
    assert "WEB-VNL-01" in body and "www.venlo.nl:443" in body
    assert "CN=Regie Test CA" in body  # the chain
    assert "The served certificate does not name www.venlo.nl." in body
    assert "Check now" in body and "expires in 20 days" in body


def _upload(client, organisation, **data):
    return client.post(reverse("cmdb:certificate-upload"), {
        "organisation": organisation.pk, "warning_thresholds": "60, 30, 14, 7", **data})


def test_upload_preview_then_confirm(keeper, roermond, pki, client_for):
    client = client_for(keeper)
    item = ConfigurationItemFactory(organisation=roermond, name="Portaal Roermond", asset_tag="RMD-APP-7")
    preview = _upload(client, roermond, file=SimpleUploadedFile("mijn.pem", pki["leaf"].pem + pki["ca"].pem),
                      items="RMD-APP-7", endpoints="mijn.roermond.nl\n10.0.0.5:8443")
    body = preview.content.decode()
    assert preview.status_code == 200 and "nothing has been saved yet" in body and "mijn.roermond.nl" in body
    assert not Certificate.objects.unrestricted().exists()
    form = preview.context["form"]
    confirm = {name: form[name].value() for name in ("organisation", "items", "endpoints", "warning_thresholds",
                                                     "notes", "confirmed_pem", "key_dropped")}
    confirm["endpoints"] = "mijn.roermond.nl\n10.0.0.5:8443"
    confirm["items"] = "RMD-APP-7"
    confirm["warning_thresholds"] = "30, 7"
    confirm["confirm"] = "1"
    response = client.post(reverse("cmdb:certificate-upload"), {k: v or "" for k, v in confirm.items()})
    certificate = Certificate.objects.unrestricted().get()
    assert response.status_code == 302 and response["Location"] == certificate.get_absolute_url()
    assert certificate.organisation == roermond and certificate.warning_thresholds == [30, 7]
    assert [i.item for i in Installation.objects.unrestricted().filter(certificate=certificate)] == [item]
    assert sorted(str(e) for e in Endpoint.objects.unrestricted().all()) == ["10.0.0.5:8443", "mijn.roermond.nl:443"]
    assert certificate.chain[0]["subject"] == "CN=Upload CA,O=Regie demo,C=NL"
    assert "PRIVATE" not in certificate.pem


def test_upload_pkcs12_says_the_key_is_dropped(keeper, roermond, pki, client_for):
    client = client_for(keeper)
    data = generate.pkcs12_bytes(pki["leaf"], [pki["ca"]], password="s3cret")
    preview = _upload(client, roermond, file=SimpleUploadedFile("mijn.p12", data), password="s3cret")
    assert "will not be stored" in preview.content.decode()
    form = preview.context["form"]
    response = client.post(reverse("cmdb:certificate-upload"), {
        "organisation": roermond.pk, "warning_thresholds": "60, 30, 14, 7",
        "confirmed_pem": form["confirmed_pem"].value(), "key_dropped": "True", "confirm": "1"}, follow=True)
    assert "The file held a private key. It was not stored" in response.content.decode()
    assert Certificate.objects.unrestricted().count() == 1


@pytest.mark.parametrize(("upload", "password", "field", "message"), [
    (b"garbage" * 20, "", "file", "not a certificate (PEM, DER or PKCS#12)"),
    (None, "", "file", "Private keys are never stored"),
    ("p12", "wrong", "password", "The password does not open this PKCS#12 file."),
])
def test_upload_errors_are_field_errors_and_write_nothing(keeper, roermond, pki, client_for, upload, password,
                                                          field, message):
    if upload is None:
        upload = pki["leaf"].pem + pki["leaf"].key_pem
    elif upload == "p12":
        upload = generate.pkcs12_bytes(pki["leaf"], password="right")
    response = _upload(client_for(keeper), roermond, file=SimpleUploadedFile("x.bin", upload), password=password)
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Certificate.objects.unrestricted().exists()


def test_upload_of_a_duplicate_is_refused_on_confirm(keeper, roermond, pki, client_for):
    client = client_for(keeper)
    payload = {"organisation": roermond.pk, "warning_thresholds": "60", "confirm": "1",
               "confirmed_pem": pki["leaf"].pem.decode()}
    assert client.post(reverse("cmdb:certificate-upload"), payload).status_code == 302
    again = client.post(reverse("cmdb:certificate-upload"), payload)
    assert again.status_code == 400 and "already in the register" in again.content.decode()
    assert Certificate.objects.unrestricted().count() == 1


def test_upload_needs_exactly_one_source_and_valid_details(keeper, roermond, pki, client_for):
    client = client_for(keeper)
    response = _upload(client, roermond)
    assert response.status_code == 400 and "one of the three" in response.content.decode()
    response = _upload(client, roermond, pem_text=pki["leaf"].pem.decode(), endpoints="not a host:99999",
                       warning_thresholds="60, soon")
    errors = response.context["form"].errors
    assert "endpoints" in errors and "warning_thresholds" in errors
    assert not Certificate.objects.unrestricted().exists()


def test_edit_where_installed_and_thresholds(keeper, venlo, roermond, register, client_for):
    certificate = register["expiring"]
    ConfigurationItemFactory(organisation=venlo, name="LB-VNL-01", asset_tag="VNL-LB-1")
    other = ConfigurationItemFactory(organisation=roermond, name="LB-RMD-01", asset_tag="RMD-LB-1")
    client = client_for(keeper)
    url = reverse("cmdb:certificate-edit", args=[certificate.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"organisation": venlo.pk, "items": "VNL-LB-1", "endpoints": "www.venlo.nl",
                                 "warning_thresholds": "90, 10", "notes": "Vernieuwen via KPN"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.warning_thresholds == [90, 10] and certificate.notes == "Vernieuwen via KPN"
    assert [i.item.name for i in Installation.objects.unrestricted().filter(certificate=certificate)] == [
        "LB-VNL-01"]
    assert certificate.warn_from == certificate.not_after - datetime.timedelta(days=90)
    # An item of another participant is refused.
    response = client.post(url, {"organisation": venlo.pk, "items": other.asset_tag, "warning_thresholds": "30"})
    assert response.status_code == 400 and "belongs to another participant" in response.content.decode()
    certificate.refresh_from_db()
    assert certificate.warning_thresholds == [90, 10]


def test_changes_are_audited(keeper, register, client_for):
    from regie.core.models import AuditRecord

    certificate = register["valid"]
    client_for(keeper).post(reverse("cmdb:certificate-edit", args=[certificate.pk]), {
        "organisation": certificate.organisation_id, "warning_thresholds": "21", "notes": ""})
    record = AuditRecord.objects.unrestricted().filter(object_id=str(certificate.pk), action="update").get()
    assert record.changes["warning_thresholds"] == [[60, 30, 14, 7], [21]]
    assert timezone.now() - record.timestamp < datetime.timedelta(minutes=1)
