"""factory_boy factories of request fulfilment (tests and demo)."""

import factory

from .models import Delegation, RequestType
from .seed import ensure_loaded


def seeded_type(code):
    """A seeded request type (the seed is loaded first: a flushed test database has none)."""
    ensure_loaded()
    return RequestType.objects.unrestricted().get(code=code)


class RequestTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequestType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"verzoek-{n}")
    name = factory.Sequence(lambda n: f"Verzoek {n}")
    group = "access"
    fields = factory.LazyFunction(lambda: [{"name": "note", "label": "Toelichting", "kind": "text", "required": True}])
    approval_steps = factory.LazyFunction(list)
    task_templates = factory.LazyFunction(lambda: [{"title": "Uitvoeren", "team": ""}])


class DelegationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delegation

    approver = None
    delegate = None
    starts_on = factory.Faker("past_date")
    ends_on = factory.Faker("future_date")


class ServiceRequestFactory(factory.django.DjangoModelFactory):
    """A request as submitted (its call from the real sequence); `values` as given."""

    class Meta:
        model = "fulfilment.ServiceRequest"

    request_type = factory.SubFactory(RequestTypeFactory)
    requester = factory.SubFactory("regie.core.factories.UserFactory")
    organisation = factory.LazyAttribute(lambda r: r.requester.organisation)
    ticket = factory.LazyAttribute(lambda r: _ticket(r))
    values = factory.LazyFunction(dict)


def _ticket(stub):
    from regie.servicedesk.factories import TicketFactory

    return TicketFactory(requester=stub.requester, kind="service_request", status="waiting_for_approval",
                         title=f"{stub.request_type.name}")


class ApprovalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "fulfilment.Approval"

    request = factory.SubFactory(ServiceRequestFactory)
    position = 1
    step = "manager"


class FulfilmentTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "fulfilment.FulfilmentTask"

    request = factory.SubFactory(ServiceRequestFactory)
    title = factory.Sequence(lambda n: f"Taak {n}")
