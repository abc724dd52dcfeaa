"""factory_boy factories for licences, used by the tests and the demo data alike."""

import datetime

import factory

from regie.core.factories import OrganisationFactory

from .choices import LicenceCategory, LicenceMetric
from .models import Assignment, Entitlement, LicenceProduct


class LicenceProductFactory(factory.django.DjangoModelFactory):
    """A product; the preloaded ones are reused by code (LicenceProductFactory(code="microsoft-office"))."""

    class Meta:
        model = LicenceProduct
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"product-{n}")
    name = factory.Sequence(lambda n: f"Licentieproduct {n}")
    vendor = "Microsoft"
    category = LicenceCategory.WORKPLACE
    metric = LicenceMetric.PER_DEVICE


class EntitlementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entitlement

    product = factory.SubFactory(LicenceProductFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    reference = factory.Sequence(lambda n: f"LIC-{n:05d}")
    quantity = 10
    starts_on = datetime.date(2025, 1, 1)
    ends_on = datetime.date(2027, 12, 31)


class AssignmentFactory(factory.django.DjangoModelFactory):
    """Give `item` or `person`; the organisation follows from it unless given."""

    class Meta:
        model = Assignment

    product = factory.SubFactory(LicenceProductFactory)
    organisation = factory.LazyAttribute(
        lambda o: o.item.organisation if o.item is not None else o.person.organisation
    )
    item = None
    person = None
