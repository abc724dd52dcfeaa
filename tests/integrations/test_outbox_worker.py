"""A real Celery worker, killed with SIGKILL while it is in the middle of an SMTP
transaction, and a real SMTP server on loopback: the message arrives exactly once."""

import time

import pytest

from regie.integrations.factories import OutboxMessageFactory
from regie.integrations.models import OutboxMessage, OutboxStatus

pytestmark = [pytest.mark.worker, pytest.mark.slow]

LEASE_SECONDS = 6


def wait_for(condition, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def status_of(message):
    return OutboxMessage.objects.values_list("status", flat=True).get(pk=message.pk)


def test_worker_killed_mid_send_delivers_the_message_exactly_once(celery_worker, smtp_server, settings):
    celery_worker.env.update({
        "REGIE_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "REGIE_SMTP_HOST": "127.0.0.1",
        "REGIE_SMTP_PORT": str(smtp_server.port),
        "REGIE_SMTP_TIMEOUT": "20",
        "REGIE_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "REGIE_MAIL_DOMAIN": "regie.invalid",
    })
    message = OutboxMessageFactory()
    smtp_server.hold.set()  # the worker's SMTP session will hang at RCPT TO
    celery_worker.start()

    celery_worker.send("regie.integrations.deliver_outbox", message.pk)
    assert smtp_server.held.wait(timeout=60), celery_worker.log()
    assert status_of(message) == OutboxStatus.SENDING
    celery_worker.kill()  # kill -9 mid-send: no ack, no outbox update
    smtp_server.hold.clear()
    time.sleep(0.5)
    assert smtp_server.messages == []
    assert status_of(message) == OutboxStatus.SENDING

    # A new worker: the unacknowledged task comes back (acks_late) and the beat reconcile
    # runs; whichever comes after the lease has run out sends the message, once.
    celery_worker.start()
    time.sleep(LEASE_SECONDS + 1)
    celery_worker.send("regie.integrations.deliver_pending")
    wait_for(lambda: status_of(message) == OutboxStatus.SENT, what="the message to be sent")
    # More redeliveries and reconciles change nothing.
    celery_worker.send("regie.integrations.deliver_outbox", message.pk)
    celery_worker.send("regie.integrations.deliver_pending")
    time.sleep(2)

    assert len(smtp_server.messages) == 1, celery_worker.log()
    assert smtp_server.messages[0]["Message-ID"] == message.message_id
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 2
