"""The transactional outbox against a real SMTP server on loopback (aiosmtpd).

Tasks run eagerly under test settings, so the on-commit kick delivers inside the test.
The tests are transactional: on_commit only fires on a real commit."""

import threading
from datetime import timedelta

import pytest
from django.db import OperationalError, close_old_connections, connection, transaction
from django.utils import timezone

from regie.integrations import services
from regie.integrations.delivery import Outcome, build_email, claim, deliver, deliver_due
from regie.integrations.factories import OutboxMessageFactory
from regie.integrations.models import Notification, OutboxMessage, OutboxStatus
from regie.integrations.tasks import deliver_pending
from regie.servicedesk.factories import TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)


def parts_of(message):
    return {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}


@pytest.fixture
def dutch_user(venlo, make_user):
    return make_user(venlo, "employee", preferred_language="nl", first_name="Anouk", last_name="Janssen")


@pytest.fixture
def english_user(venlo, make_user):
    return make_user(venlo, "employee", preferred_language="en", first_name="Aiden", last_name="Smith")


@pytest.fixture
def ticket(dutch_user):
    # 24 November 2026: the month name tells the language of the rendered date.
    due = timezone.make_aware(timezone.datetime(2026, 11, 24, 15, 30))
    return TicketFactory(requester=dutch_user, title="Printer <b>stuk</b> & \"kapot\"", resolution_due_at=due)


def test_committed_change_delivers_one_message_per_recipient_in_their_language(
    smtp_server, ticket, dutch_user, english_user
):
    with transaction.atomic():
        services.notify("ticket.term_warning", ticket, [dutch_user, english_user])
        assert smtp_server.messages == []  # nothing leaves before the commit

    assert len(smtp_server.messages) == 2
    by_recipient = {message["To"]: message for message in smtp_server.messages}
    thread = f"<{ticket.reference}@regie.invalid>"
    for user, language, date in ((dutch_user, "nl", "24 november 2026"), (english_user, "en", "Nov. 24, 2026")):
        message = by_recipient[user.email]
        row = OutboxMessage.objects.get(recipient=user)
        assert row.status == OutboxStatus.SENT and row.attempts == 1 and row.sent_at is not None
        assert message["Message-ID"] == row.message_id
        assert row.message_id.endswith("@regie.invalid>")
        assert message["In-Reply-To"] == thread
        assert message["References"] == thread
        assert message["Content-Language"] == language
        assert message["Auto-Submitted"] == "auto-generated"
        assert message.get_content_type() == "multipart/alternative"
        parts = parts_of(message)
        assert set(parts) == {"text/plain", "text/html"}
        assert date in parts["text/plain"]
        assert f'lang="{language}"' in parts["text/html"]
        assert ticket.reference in message["Subject"]
    # The English date format is "Nov. 24, 2026": no Dutch month name in the English mail.
    assert "november" not in parts_of(by_recipient[english_user.email])["text/plain"]


def test_html_is_escaped_and_subject_cannot_inject_headers(smtp_server, dutch_user, venlo):
    ticket = TicketFactory(requester=dutch_user, title="<script>alert(1)</script>\r\nBcc: evil@example.com")
    services.notify("ticket.created", ticket, [dutch_user])

    [message] = smtp_server.messages
    html = parts_of(message)["text/html"]
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" in parts_of(message)["text/plain"]  # text stays text
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"] and "Bcc: evil@example.com" in message["Subject"]


def test_rolled_back_transaction_sends_and_keeps_nothing(smtp_server, ticket, dutch_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.notify("ticket.created", ticket, [dutch_user])
        services.enqueue_email("someone@example.nl", subject="Hallo", text_body="Tekst")
        raise RuntimeError("the change fails after the notification was written")

    assert smtp_server.messages == []
    assert not OutboxMessage.objects.exists()
    assert not Notification.objects.unrestricted().exists()


def test_smtp_down_keeps_message_pending_then_reconcile_delivers_it_once(smtp_server, ticket, dutch_user):
    smtp_server.stop()
    before = timezone.now()

    with transaction.atomic():
        services.notify("ticket.created", ticket, [dutch_user])
    # The user's change succeeded; the message waits.
    row = OutboxMessage.objects.get()
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at > before + timedelta(seconds=20)  # back-off: at least half the 60 s base
    assert "Connection" in row.last_error or "refused" in row.last_error.lower()

    smtp_server.start()
    assert deliver_pending() == {}  # not due yet: the back-off is honoured
    assert smtp_server.messages == []

    later = row.next_attempt_at + timedelta(seconds=1)
    assert deliver_due(now=later) == {Outcome.SENT: 1}
    assert deliver_due(now=later + timedelta(minutes=5)) == {}
    assert deliver_pending() == {}

    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["Message-ID"] == row.message_id
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 2, "")


def test_outage_stops_the_reconcile_batch_after_one_attempt(smtp_server):
    messages = OutboxMessageFactory.create_batch(3)
    smtp_server.stop()

    assert deliver_pending() == {Outcome.UNREACHABLE: 1}
    attempts = sorted(OutboxMessage.objects.values_list("attempts", flat=True))
    assert attempts == [0, 0, 1]  # the others were not charged an attempt for the outage

    smtp_server.start()
    assert deliver_pending() == {Outcome.SENT: 2}
    assert len(smtp_server.messages) == 2
    assert {m["Message-ID"] for m in smtp_server.messages} < {m.message_id for m in messages}


def test_message_fails_after_the_maximum_attempts(smtp_server, settings):
    settings.REGIE_OUTBOX_MAX_ATTEMPTS = 2
    message = OutboxMessageFactory()
    smtp_server.stop()

    assert deliver(message.pk) == Outcome.UNREACHABLE
    message.refresh_from_db()
    assert deliver(message.pk, now=message.next_attempt_at + timedelta(seconds=1)) == Outcome.FAILED
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 2)
    smtp_server.start()
    assert deliver_due(now=timezone.now() + timedelta(days=1)) == {}
    assert smtp_server.messages == []


def test_permanently_refused_recipient_fails_at_once(smtp_server):
    message = OutboxMessageFactory(to_address="nobody@example.nl")
    smtp_server.refuse.add("nobody@example.nl")

    assert deliver(message.pk) == Outcome.FAILED
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED and "550" in message.last_error


def test_duplicate_enqueue_with_the_same_dedup_key_is_one_message(smtp_server, ticket, dutch_user):
    for _retry in range(3):
        with transaction.atomic():
            first = services.enqueue_email("a@example.nl", subject="Eén", text_body="x", dedup_key="event-42:a")
            services.notify("ticket.created", ticket, [dutch_user])

    assert OutboxMessage.objects.filter(dedup_key="event-42:a").count() == 1
    assert OutboxMessage.objects.count() == 2
    assert Notification.objects.for_user(dutch_user).count() == 1
    assert len(smtp_server.messages) == 2
    assert OutboxMessage.objects.get(dedup_key="event-42:a").pk == first.pk


def test_a_new_occurrence_of_the_same_event_is_a_new_message(smtp_server, ticket, dutch_user):
    services.notify("ticket.replied", ticket, [dutch_user], occurrence="reply-1")
    services.notify("ticket.replied", ticket, [dutch_user], occurrence="reply-2")
    services.notify("ticket.replied", ticket, [dutch_user], occurrence="reply-2")

    assert len(smtp_server.messages) == 2
    assert Notification.objects.for_user(dutch_user).count() == 2
    # Every message about the call is in one thread.
    assert {m["References"] for m in smtp_server.messages} == {f"<{ticket.reference}@regie.invalid>"}
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 2


def test_two_concurrent_deliveries_of_one_message_send_it_once(smtp_server):
    message = OutboxMessageFactory()
    smtp_server.delay = 0.3  # the first send is still in progress when the second tries
    start = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            start.wait()
            outcomes.append(deliver(message.pk))
        except OperationalError as exc:
            # SQLite's in-memory test database (shared cache) refuses a second writer
            # with "locked" instead of waiting; that worker sends nothing, as it must.
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            outcomes.append(Outcome.SKIPPED)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == [Outcome.SENT, Outcome.SKIPPED]
    assert len(smtp_server.messages) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)


def test_a_claimed_message_cannot_be_claimed_again(smtp_server):
    message = OutboxMessageFactory()

    assert claim(message.pk) is not None
    assert claim(message.pk) is None  # the second worker gets nothing
    assert deliver(message.pk) == Outcome.SKIPPED
    assert deliver_pending() == {}  # the lease is still valid
    assert smtp_server.messages == []


def test_stale_sending_lease_is_recovered_and_delivered_once(smtp_server):
    now = timezone.now()
    # A worker was killed mid-send: its lease ran out a minute ago.
    stale = OutboxMessageFactory(
        status=OutboxStatus.SENDING, attempts=1, claim_token="dead-worker", lease_expires_at=now - timedelta(minutes=1)
    )
    # Another worker is still busy with this one: its lease is valid, leave it alone.
    busy = OutboxMessageFactory(
        status=OutboxStatus.SENDING, attempts=1, claim_token="live-worker", lease_expires_at=now + timedelta(minutes=4)
    )

    assert deliver_pending() == {Outcome.SENT: 1}
    assert deliver_pending() == {}

    assert [m["Message-ID"] for m in smtp_server.messages] == [stale.message_id]
    stale.refresh_from_db()
    busy.refresh_from_db()
    assert (stale.status, stale.attempts) == (OutboxStatus.SENT, 2)
    assert (busy.status, busy.claim_token) == (OutboxStatus.SENDING, "live-worker")


def test_crash_between_smtp_and_database_resends_the_same_message_id(smtp_server, settings):
    """The one window exactly-once cannot close: the SMTP server accepted the message
    and the worker died before recording it. The resend is the same message (same
    Message-ID), which receiving systems recognise as a duplicate."""
    message = OutboxMessageFactory()
    claimed = claim(message.pk)
    build_email(claimed).send()  # ... and the worker is killed here, before marking it sent

    after_lease = timezone.now() + timedelta(seconds=settings.REGIE_OUTBOX_LEASE_SECONDS + 1)
    assert deliver_due(now=after_lease) == {Outcome.SENT: 1}

    assert [m["Message-ID"] for m in smtp_server.messages] == [message.message_id, message.message_id]
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT


def test_lease_running_out_after_the_last_attempt_fails_the_message(settings):
    settings.REGIE_OUTBOX_MAX_ATTEMPTS = 3
    message = OutboxMessageFactory(
        status=OutboxStatus.SENDING, attempts=3, claim_token="x", lease_expires_at=timezone.now() - timedelta(seconds=1)
    )

    deliver_pending()

    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED and "lease expired" in message.last_error


def test_broker_outage_loses_nothing(smtp_server, ticket, dutch_user, settings):
    """The on-commit kick cannot reach the broker: the change still commits and the beat
    reconcile delivers the message."""
    from regie.celery import app

    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "broker_connection_retry",
                                             "broker_connection_max_retries", "task_publish_retry")}
    app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:1/0", broker_connection_retry=False,
                    broker_connection_max_retries=0, task_publish_retry=False)
    try:
        with transaction.atomic():
            services.notify("ticket.created", ticket, [dutch_user])
    finally:
        app.conf.update(saved)
        app.close()  # drops the connection pool bound to the dead broker

    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
    assert smtp_server.messages == []

    assert deliver_pending() == {Outcome.SENT: 1}
    assert len(smtp_server.messages) == 1


def test_a_redelivered_task_takes_over_an_expired_lease_itself(smtp_server):
    """acks_late: the task of a killed worker comes back; once the lease has run out it
    sends the message without waiting for the reconcile."""
    message = OutboxMessageFactory(
        status=OutboxStatus.SENDING, attempts=1, claim_token="dead", lease_expires_at=timezone.now()
    )

    assert deliver(message.pk, now=timezone.now() + timedelta(seconds=1)) == Outcome.SENT
    assert deliver(message.pk) == Outcome.SKIPPED
    assert len(smtp_server.messages) == 1
