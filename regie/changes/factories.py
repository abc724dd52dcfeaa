"""factory_boy factories for changes, used by the tests and the demo data alike."""

import datetime

import factory
from django.utils import timezone

from regie.core.factories import OrganisationFactory, UserFactory

from .choices import ChangeKind, ChangeStatus, Risk
from .models import Change, ChangeApproval, ChangeItem, StandardChangeTemplate


class StandardChangeTemplateFactory(factory.django.DjangoModelFactory):
    """A template; the seeded ones are reused by code (StandardChangeTemplateFactory(code="windows-patches"))."""

    class Meta:
        model = StandardChangeTemplate
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"template-{n}")
    name = factory.Sequence(lambda n: f"Standaardwijziging {n}")
    description = "Vooraf goedgekeurde wijziging."
    risk = Risk.LOW
    rollback_plan = "Vorige toestand terugzetten."


def _window_start(n):
    return timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=7 + n % 20)


class ChangeFactory(factory.django.DjangoModelFactory):
    """A draft normal change, ready to submit (test and rollback plans filled in). Pass
    `items=[...]` to link configuration items."""

    class Meta:
        model = Change
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    reference = factory.Sequence(lambda n: f"WZG-1999-{n + 1:04d}")
    title = factory.Sequence(lambda n: f"Wijziging {n}")
    description = "Beschrijving van de wijziging."
    kind = ChangeKind.NORMAL
    status = ChangeStatus.DRAFT
    requester = factory.SubFactory(UserFactory)
    owner = factory.SubFactory(UserFactory)
    risk = Risk.MEDIUM
    risk_assessment = "Korte onderbreking mogelijk."
    test_plan = "Testen in de acceptatieomgeving."
    test_result = "Geslaagd in acceptatie."
    rollback_plan = "Snapshot terugzetten."
    planned_start = factory.Sequence(_window_start)
    planned_end = factory.LazyAttribute(lambda c: c.planned_start + datetime.timedelta(hours=2))

    @factory.post_generation
    def items(self, create, extracted, **kwargs):
        if create and extracted:
            for item in extracted:
                ChangeItem.objects.create(change=self, item=item)


class ChangeApprovalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChangeApproval

    change = factory.SubFactory(ChangeFactory)
    approver = factory.SubFactory(UserFactory)
    decision = "approved"
    comment = "Akkoord."
