"""Endpoint checks against real TLS servers on 127.0.0.1 (no mocks): the served chain, an
expired leaf, a wrong host name, an unknown CA, another certificate than the registered
one, and endpoints that do not answer (refused, silent) — recorded, never a 500."""

import datetime
import ssl

import pytest
from certificate_tls import SilentServer, TLSServer, closed_port
from django.urls import reverse
from django.utils import timezone

from regie.cmdb.certificates import generate, services
from regie.cmdb.certificates.endpoint import probe
from regie.cmdb.certificates.models import Certificate, CheckResult, Endpoint, EndpointCheck
from regie.core.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pki():
    root = generate.make_ca("Loopback Root")
    intermediate = generate.make_ca("Loopback Intermediate", issuer=root)
    return {
        "root": root, "intermediate": intermediate,
        "good": generate.make_leaf(intermediate, "localhost", sans=["localhost", "127.0.0.1"]),
        "expired": generate.make_leaf(intermediate, "localhost", sans=["127.0.0.1"],
                                      not_before=timezone.now() - datetime.timedelta(days=400),
                                      not_after=timezone.now() - datetime.timedelta(days=2)),
        "wrong_host": generate.make_leaf(intermediate, "www.weert.nl", sans=["www.weert.nl"]),
    }


@pytest.fixture
def keeper(provider):
    return UserFactory(organisation=provider, roles=["engineer"])


@pytest.fixture
def trusting(settings, pki):
    settings.REGIE_CERTIFICATE_CA_PEM = pki["root"].pem.decode()
    settings.REGIE_CERTIFICATE_CHECK_TIMEOUT = 1


def _register(keeper, organisation, pki, leaf, port):
    outcome = services.import_certificates(keeper, organisation=organisation, data=leaf.pem + pki["intermediate"].pem,
                                           endpoints=[f"127.0.0.1:{port}"])
    return outcome.certificates[0], Endpoint.objects.unrestricted().get(certificate=outcome.certificates[0])


def test_probe_reads_the_whole_served_chain(pki):
    with TLSServer(pki["good"], [pki["intermediate"]]) as server:
        result = probe("127.0.0.1", server.port, timeout=2, cadata=pki["root"].pem.decode())
    assert result.answered and result.verified and result.verify_error == ""
    assert result.full_chain_read and len(result.chain_der) == 2 and result.chain_der[0] == pki["good"].der


def test_tls13_only_server_gives_the_leaf_and_says_so(pki):
    server = TLSServer(pki["good"], [pki["intermediate"]])
    server.context.minimum_version = ssl.TLSVersion.TLSv1_3
    with server:
        result = probe("127.0.0.1", server.port, timeout=2)
    assert result.answered and result.tls_version == "TLSv1.3"
    assert not result.full_chain_read and result.chain_der == [pki["good"].der]


def test_check_in_order(keeper, venlo, pki, trusting):
    with TLSServer(pki["good"], [pki["intermediate"]]) as server:
        _certificate, target = _register(keeper, venlo, pki, pki["good"], server.port)
        check = services.check_endpoint(target)
    assert check.result == CheckResult.OK and check.problems == []
    assert check.matches_register and check.hostname_matches and check.verified and check.full_chain_read
    assert [entry["subject"] for entry in check.chain_seen][1] == "CN=Loopback Intermediate,O=Regie demo,C=NL"
    target.refresh_from_db()
    assert target.last_result == CheckResult.OK and target.last_checked_at is not None


def test_expired_leaf(keeper, venlo, pki, trusting):
    with TLSServer(pki["expired"], [pki["intermediate"]]) as server:
        _certificate, target = _register(keeper, venlo, pki, pki["expired"], server.port)
        check = services.check_endpoint(target)
    assert check.result == CheckResult.PROBLEMS
    assert [p["code"] for p in check.problems] == ["expired", "verification"]
    assert "expired" in check.verify_error
    assert "expired on" in services.problem_message(check.problems[0])


def test_wrong_host_name(keeper, venlo, pki, trusting):
    with TLSServer(pki["wrong_host"], [pki["intermediate"]]) as server:
        _certificate, target = _register(keeper, venlo, pki, pki["wrong_host"], server.port)
        check = services.check_endpoint(target)
    assert [p["code"] for p in check.problems] == ["hostname"]
    assert check.hostname_matches is False and check.verified is True
    assert services.problem_message(check.problems[0]) == "The served certificate does not name 127.0.0.1."


def test_unknown_ca_reports_the_verification_error(keeper, venlo, pki, settings):
    settings.REGIE_CERTIFICATE_CA_PEM = ""
    with TLSServer(pki["good"], [pki["intermediate"]]) as server:
        _certificate, target = _register(keeper, venlo, pki, pki["good"], server.port)
        check = services.check_endpoint(target)
    assert check.verified is False and check.verify_error == "unable to get local issuer certificate"
    assert [p["code"] for p in check.problems] == ["verification"]


def test_another_certificate_than_registered(keeper, venlo, pki, trusting):
    with TLSServer(pki["good"], [pki["intermediate"]]) as server:
        certificate, target = _register(keeper, venlo, pki, pki["wrong_host"], server.port)
        target.host = "localhost"
        target.save()
        check = services.check_endpoint(target)
    assert not check.matches_register and check.fingerprint_seen != certificate.fingerprint_sha256
    assert [p["code"] for p in check.problems] == ["other_certificate"]


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_endpoint_that_does_not_answer_is_a_recorded_failure(keeper, venlo, pki, trusting, kind, client_for):
    if kind == "silent":
        server = SilentServer()
        port = server.port
    else:
        server, port = None, closed_port()
    try:
        if server:
            server.__enter__()
        certificate, _target = _register(keeper, venlo, pki, pki["good"], port)
        response = client_for(keeper).post(reverse("cmdb:certificate-check", args=[certificate.pk]), follow=True)
    finally:
        if server:
            server.__exit__(None, None, None)
    assert response.status_code == 200
    check = EndpointCheck.objects.unrestricted().get(certificate=certificate)
    assert check.result == CheckResult.FAILED and check.fingerprint_seen == ""
    assert check.error == ("connection refused" if kind == "refused" else "timed out")
    assert "The endpoint does not answer" in response.content.decode()


def test_unknown_host_is_a_recorded_failure(keeper, venlo, pki):
    certificate = services.import_certificates(keeper, organisation=venlo, data=pki["good"].pem,
                                               endpoints=["does-not-exist.invalid:443"]).certificates[0]
    (check,) = services.check_certificate(keeper, certificate)
    assert check.result == CheckResult.FAILED and check.error.startswith("unknown host")


def test_register_from_an_endpoint_that_does_not_answer_writes_nothing(keeper, venlo, trusting):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.register_from_endpoint(keeper, organisation=venlo, endpoint=f"127.0.0.1:{closed_port()}")
    assert "does not answer" in caught.value.message_dict["endpoint"][0]
    assert not Certificate.objects.unrestricted().exists() and not EndpointCheck.objects.unrestricted().exists()
