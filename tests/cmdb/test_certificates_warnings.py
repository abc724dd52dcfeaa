"""Expiry warnings on beat against a real local TLS endpoint (issue 4, "done when").

A TLS server on 127.0.0.1 serves a certificate (made here with `cryptography`) that
expires in 10 days. The certificate is registered from that endpoint, which records the
first endpoint check; the beat task then sends the 14-day warning to the requesting
participant and the provider, through the outbox, exactly once however often it runs."""

import datetime

import pytest
from certificate_tls import TLSServer
from django.core import mail
from django.utils import timezone

from regie.cmdb.certificates import generate, services
from regie.cmdb.certificates.factories import CertificateFactory, EndpointFactory
from regie.cmdb.certificates.models import CertificateWarning, CheckResult, EndpointCheck
from regie.cmdb.certificates.tasks import certificate_endpoint_checks, certificate_expiry_warnings
from regie.core.factories import UserFactory
from regie.integrations.models import Notification, OutboxMessage, OutboxStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(provider, venlo):
    return {
        "keeper": UserFactory(organisation=provider, roles=["engineer"], email="keeper@ictnml.example"),
        "lead": UserFactory(organisation=provider, roles=["team_lead"], email="lead@ictnml.example"),
        "am": UserFactory(organisation=venlo, roles=["account_manager"], email="am@venlo.example"),
        "employee": UserFactory(organisation=venlo, roles=["employee"], email="medewerker@venlo.example"),
    }


@pytest.fixture
def trusted_ca(settings):
    ca = generate.make_ca("Loopback Test CA")
    settings.REGIE_CERTIFICATE_CA_PEM = ca.pem.decode()
    settings.REGIE_CERTIFICATE_CHECK_TIMEOUT = 3
    return ca


def test_warning_fires_once_on_beat_for_a_certificate_read_from_a_loopback_endpoint(
    people, venlo, trusted_ca, django_capture_on_commit_callbacks
):
    leaf = generate.make_leaf(trusted_ca, "127.0.0.1", sans=["127.0.0.1"],
                              not_after=timezone.now() + datetime.timedelta(days=10, hours=2))
    with TLSServer(leaf, [trusted_ca]) as server:
        certificate = services.register_from_endpoint(
            people["keeper"], organisation=venlo, endpoint=f"127.0.0.1:{server.port}")
        assert server.handshakes >= 2

    check = EndpointCheck.objects.unrestricted().get(certificate=certificate)
    assert check.result == CheckResult.OK, check.problems
    assert check.matches_register and check.hostname_matches and check.verified
    assert check.not_after_seen == certificate.not_after
    assert certificate.days_left == 10 and certificate.status == "expiring"

    with django_capture_on_commit_callbacks(execute=True):
        assert certificate_expiry_warnings.delay().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert certificate_expiry_warnings.delay().get() == 0  # a second beat: nothing new

    warnings = CertificateWarning.objects.unrestricted().filter(certificate=certificate)
    assert [(w.threshold, w.days_left) for w in warnings] == [(14, 10)]  # not 60 or 30 as well
    messages = OutboxMessage.objects.filter(event="certificate.expiring")
    assert sorted(m.to_address for m in messages) == ["am@venlo.example", "lead@ictnml.example"]
    assert all(m.status == OutboxStatus.SENT for m in messages)
    sent = sorted(message.to[0] for message in mail.outbox)
    assert sent == ["am@venlo.example", "lead@ictnml.example"]
    assert "127.0.0.1" in mail.outbox[0].subject and "Gemeente Venlo" in mail.outbox[0].subject
    assert Notification.objects.unrestricted().filter(event="certificate.expiring").count() == 2


def test_each_threshold_once_as_the_days_pass(people, venlo):
    certificate = CertificateFactory(organisation=venlo, days_left=65)
    now = timezone.now()
    sent = []
    for day in range(0, 70):
        moment = now + datetime.timedelta(days=day)
        services.send_expiry_warnings(moment)
        services.send_expiry_warnings(moment)  # a restart within the hour
        sent = list(CertificateWarning.objects.unrestricted().filter(certificate=certificate)
                    .order_by("-threshold").values_list("threshold", flat=True))
    assert sent == [60, 30, 14, 7]
    assert OutboxMessage.objects.filter(event="certificate.expiring").count() == 4 * 2


def test_thresholds_are_per_certificate(people, venlo):
    own = CertificateFactory(organisation=venlo, days_left=40, warning_thresholds=[45, 3])
    later = CertificateFactory(organisation=venlo, days_left=40, warning_thresholds=[30, 7])
    assert services.send_expiry_warnings() == 1
    warning = CertificateWarning.objects.unrestricted().get()
    assert (warning.certificate, warning.threshold) == (own, 45)
    assert own.status == "expiring" and later.status == "valid"


def test_expired_and_far_away_certificates_are_not_warned(people, venlo):
    CertificateFactory(organisation=venlo, days_left=-3)
    CertificateFactory(organisation=venlo, days_left=300)
    assert services.send_expiry_warnings() == 0
    assert not CertificateWarning.objects.unrestricted().exists()


def test_participant_without_people_gets_its_helpdesk_address(provider, roermond):
    roermond.email = "servicedesk@roermond.example"
    roermond.save()
    CertificateFactory(organisation=roermond, days_left=5)
    services.send_expiry_warnings()
    assert list(OutboxMessage.objects.values_list("to_address", flat=True)) == ["servicedesk@roermond.example"]


def test_daily_beat_checks_every_endpoint(people, venlo, trusted_ca):
    leaf = generate.make_leaf(trusted_ca, "localhost", sans=["localhost"], days=90)
    with TLSServer(leaf, [trusted_ca]) as server:
        certificate = CertificateFactory(organisation=venlo, common_name="somewhere-else.example")
        EndpointFactory(certificate=certificate, host="127.0.0.1", port=server.port)
        assert certificate_endpoint_checks.delay().get() == 1
    check = EndpointCheck.objects.unrestricted().get()
    assert check.result == CheckResult.PROBLEMS
    assert {p["code"] for p in check.problems} == {"hostname", "other_certificate"}
    assert check.endpoint.last_result == CheckResult.PROBLEMS


def test_demo_data_is_realistic_and_idempotent(provider):
    import random

    from regie.cmdb.certificates.demo import load_demo
    from regie.cmdb.certificates.models import Certificate, Installation
    from regie.cmdb.factories import ConfigurationItemFactory, ItemTypeFactory
    from regie.core.factories import OrganisationFactory

    application = ItemTypeFactory(code="applicatie")
    for name, code in (("Gemeente Venlo", "VNL"), ("Gemeente Roermond", "RMD"), ("Gemeente Weert", "WRT"),
                       ("Gemeente Nederweert", "NDW")):
        organisation = OrganisationFactory(name=name, code=code)
        ConfigurationItemFactory(organisation=organisation, ci_type=application, name=f"Zaaksysteem {code}")
    assert load_demo(random.Random(1)) == 13
    assert load_demo(random.Random(1)) == 0
    register = Certificate.objects.unrestricted()
    assert register.count() == 13
    assert {c.common_name for c in register.with_status("expired")} == {"www.nederweert.nl"}
    expiring = {c.common_name: c.days_left for c in register.with_status("expiring")}
    assert expiring == {"www.venlo.nl": 24, "mijn.roermond.nl": 52, "webmail.weert.nl": 6, "webmail.venlo.nl": 13}
    assert all(len(c.chain) == 2 and c.chain[-1]["subject"].startswith("CN=Demo CA") for c in register)
    # The e-loket is placed on the case system when there is no item named after it.
    placed = {i.certificate.common_name: [i.item.name] for i in Installation.objects.unrestricted().select_related(
        "certificate", "item").filter(certificate__common_name__startswith="mijn.")}
    assert placed == {f"mijn.{domain}": [f"Zaaksysteem {code}"] for code, domain in
                      (("VNL", "venlo.nl"), ("RMD", "roermond.nl"), ("WRT", "weert.nl"), ("NDW", "nederweert.nl"))}
    assert services.send_expiry_warnings() == 4
