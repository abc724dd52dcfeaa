import uuid

import factory

from regie.core.factories import UserFactory

from .models import Notification, OutboxMessage, OutboxStatus


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    """A rendered message waiting in the outbox (written directly: no on-commit kick)."""

    class Meta:
        model = OutboxMessage

    recipient = factory.SubFactory(UserFactory)
    to_address = factory.LazyAttribute(lambda m: m.recipient.email if m.recipient else "someone@example.nl")
    language = "nl"
    subject = factory.Sequence(lambda n: f"Testbericht {n}")
    text_body = "Tekst van het bericht.\n"
    html_body = "<p>Tekst van het bericht.</p>"
    message_id = factory.LazyFunction(lambda: f"<{uuid.uuid4().hex}@regie.invalid>")
    dedup_key = factory.LazyFunction(lambda: uuid.uuid4().hex)
    status = OutboxStatus.PENDING


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    organisation = factory.LazyAttribute(lambda n: n.user.organisation)
    event = "ticket.created"
    title = factory.Sequence(lambda n: f"Melding {n}")
    body = "Er is iets gebeurd."
    url = ""
    dedup_key = factory.LazyFunction(lambda: uuid.uuid4().hex)
