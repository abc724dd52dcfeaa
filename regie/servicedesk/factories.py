import factory

from regie.core.factories import UserFactory

from .models import Ticket
from .services import next_reference


class TicketFactory(factory.django.DjangoModelFactory):
    """A call as the service would register it (reference from the real sequence)."""

    class Meta:
        model = Ticket

    requester = factory.SubFactory(UserFactory)
    organisation = factory.LazyAttribute(lambda t: t.requester.organisation)
    created_by = factory.LazyAttribute(lambda t: t.requester)
    title = factory.Faker("sentence", nb_words=6, locale="nl_NL")
    description = factory.Faker("paragraph", locale="nl_NL")
    reference = factory.LazyAttribute(lambda t: next_reference(t.organisation))


class CannedResponseFactory(factory.django.DjangoModelFactory):
    """A general canned response (no team), as a team lead would write it."""

    class Meta:
        model = "servicedesk.CannedResponse"

    title = factory.Sequence(lambda n: f"Standaardantwoord {n}")
    body = "Goedemiddag,\n\nDank voor uw melding. We gaan ermee aan de slag.\n\nMet vriendelijke groet,\nServicedesk"
    team = None
    is_active = True
