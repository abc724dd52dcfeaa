import datetime

import factory
from django.utils import timezone

from regie.core.factories import OrganisationFactory

from . import generate
from .models import Certificate, Endpoint, EndpointCheck
from .parsing import describe

_CA = {}


def demo_ca():
    """One test CA per process (making keys is slow)."""
    if "ca" not in _CA:
        _CA["ca"] = generate.make_ca("Regie Test CA")
    return _CA["ca"]


class CertificateFactory(factory.django.DjangoModelFactory):
    """A certificate signed by the test CA; give `common_name` and `days_left` (or `not_after`)."""

    class Meta:
        model = Certificate

    class Params:
        days_left = 200
        hosts = None

    organisation = factory.SubFactory(OrganisationFactory)
    common_name = factory.Sequence(lambda n: f"site{n}.example.nl")
    not_after = factory.LazyAttribute(lambda o: timezone.now() + datetime.timedelta(days=o.days_left, hours=1))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        organisation = kwargs.pop("organisation")
        common_name = kwargs.pop("common_name")
        not_after = kwargs.pop("not_after")
        ca = demo_ca()
        leaf = generate.make_leaf(ca, common_name, not_after=not_after,
                                  not_before=min(not_after, timezone.now()) - datetime.timedelta(days=30))
        parsed = describe(leaf.certificate)
        values = dict(
            organisation=organisation, subject=parsed.subject, common_name=parsed.common_name, sans=parsed.sans,
            issuer=parsed.issuer, serial_number=parsed.serial_number, not_before=parsed.not_before,
            not_after=parsed.not_after, key_type=parsed.key_type, key_size=parsed.key_size,
            signature_algorithm=parsed.signature_algorithm, fingerprint_sha256=parsed.fingerprint_sha256,
            pem=parsed.pem, chain=[{"subject": ca.certificate.subject.rfc4514_string(),
                                    "issuer": ca.certificate.issuer.rfc4514_string(),
                                    "fingerprint": describe(ca.certificate).fingerprint_sha256,
                                    "not_after": ca.certificate.not_valid_after_utc.isoformat()}],
        )
        values.update(kwargs)
        return model_class.objects.unrestricted().create(**values)


class EndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Endpoint

    certificate = factory.SubFactory(CertificateFactory)
    host = factory.LazyAttribute(lambda o: o.certificate.common_name)
    port = 443


class EndpointCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EndpointCheck

    endpoint = factory.SubFactory(EndpointFactory)
    certificate = factory.LazyAttribute(lambda o: o.endpoint.certificate)
    host = factory.LazyAttribute(lambda o: o.endpoint.host)
    port = factory.LazyAttribute(lambda o: o.endpoint.port)
    result = "ok"
    fingerprint_seen = factory.LazyAttribute(lambda o: o.certificate.fingerprint_sha256)
    matches_register = True
    hostname_matches = True
    verified = True
