"""Sending outbox messages: claim, send, record. Safe with any number of workers.

A worker *claims* a message with one conditional UPDATE (pending and due → sending, with
a claim token and a lease); only the worker whose UPDATE matched sends it, so two
workers never send the same message. A worker killed mid-send leaves a 'sending' row
whose lease runs out; the reconcile puts it back to pending.

Exactly once, and the one window left: if a worker dies after the SMTP server accepted
the message but before the row is marked sent, the message is sent again after the
lease. The resend carries the *same* Message-ID (fixed when the row was written), and
receiving MTAs and mail clients (Exchange, Gmail, Dovecot's duplicate filter,
Thunderbird) treat a second message with a Message-ID they already have as a
duplicate. The window is kept to the few milliseconds between the end of the SMTP
transaction and the UPDATE that follows it: nothing else happens in between.
"""

import logging
import random
import smtplib
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.utils import timezone

from .models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

_random = random.SystemRandom()


class Outcome:
    SENT = "sent"
    SKIPPED = "skipped"  # not due, not pending, or claimed by another worker
    RETRY = "retry"
    UNREACHABLE = "unreachable"  # a retry because the SMTP server could not be reached
    FAILED = "failed"


def backoff_seconds(attempts):
    """Exponential back-off with jitter: about base·2^(n-1), capped, drawn from its upper
    half so that many messages failing together do not come back together."""
    exponential = settings.REGIE_OUTBOX_RETRY_BASE_SECONDS * 2 ** max(0, min(attempts, 32) - 1)
    ceiling = min(settings.REGIE_OUTBOX_RETRY_MAX_SECONDS, exponential)
    return ceiling / 2 + _random.uniform(0, ceiling / 2)


def claim(message_id, now=None):
    """Atomically take a message for this worker: a due pending one, or one whose sending
    worker's lease ran out (it was killed) and that has attempts left. None if the
    message is not there to take (sent, failed, not due, or another worker has it)."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    takeable = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxStatus.SENDING, lease_expires_at__lt=now, attempts__lt=settings.REGIE_OUTBOX_MAX_ATTEMPTS
    )
    claimed = OutboxMessage.objects.filter(takeable, pk=message_id).update(
        status=OutboxStatus.SENDING,
        claim_token=token,
        lease_expires_at=now + timedelta(seconds=settings.REGIE_OUTBOX_LEASE_SECONDS),
        # Counted at the claim, so a message that kills its worker every time still ends.
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    return OutboxMessage.objects.filter(pk=message_id, claim_token=token).first()


def build_email(message, connection=None):
    headers = {
        "Message-ID": message.message_id,
        "Auto-Submitted": "auto-generated",
        # Keeps Exchange out-of-office replies from answering the service desk robot.
        "X-Auto-Response-Suppress": "All",
        "Content-Language": message.language,
    }
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address],
        headers=headers,
        connection=connection,
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    return email


def is_permanent(exc):
    """The server refused the recipient for good (5xx): retrying will not help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in exc.recipients.values())
    return False


def is_unreachable(exc):
    """The SMTP server itself is down or unreachable: the rest of a batch would fail too."""
    return isinstance(exc, (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, OSError)) and not isinstance(
        exc, smtplib.SMTPResponseException
    )


def _mark_sent(message):
    updated = OutboxMessage.objects.filter(pk=message.pk, claim_token=message.claim_token).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), claim_token="", lease_expires_at=None, last_error=""
    )
    if not updated:
        logger.warning("Outbox message %s was sent after its lease ran out", message.pk)


def _record_failure(message, exc):
    now = timezone.now()
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if is_permanent(exc) or message.attempts >= settings.REGIE_OUTBOX_MAX_ATTEMPTS:
        changes = {"status": OutboxStatus.FAILED}
        outcome = Outcome.FAILED
        logger.error("Outbox message %s failed for good after %s attempts: %s", message.pk, message.attempts, error)
    else:
        changes = {
            "status": OutboxStatus.PENDING,
            "next_attempt_at": now + timedelta(seconds=backoff_seconds(message.attempts)),
        }
        outcome = Outcome.RETRY
        logger.warning("Outbox message %s not sent (attempt %s), will retry: %s", message.pk, message.attempts, error)
    OutboxMessage.objects.filter(pk=message.pk, claim_token=message.claim_token).update(
        claim_token="", lease_expires_at=None, last_error=error, **changes
    )
    return outcome


def deliver(message_id, now=None):
    """Claim, send and record one message; returns an Outcome. Idempotent: a message
    already sent, failed, not yet due or taken by another worker is left alone."""
    message = claim(message_id, now)
    if message is None:
        return Outcome.SKIPPED
    try:
        build_email(message, connection=get_connection(fail_silently=False)).send()
    except Exception as exc:  # any failure is recorded on the row, never lost in a log
        outcome = _record_failure(message, exc)
        return Outcome.UNREACHABLE if outcome == Outcome.RETRY and is_unreachable(exc) else outcome
    _mark_sent(message)
    return Outcome.SENT


def recover_expired_leases(now=None):
    """'sending' rows whose worker died go back to pending (or to failed when they used up
    their attempts). Returns how many were recovered."""
    now = now or timezone.now()
    stale = OutboxMessage.objects.filter(status=OutboxStatus.SENDING, lease_expires_at__lt=now)
    note = "lease expired: the worker stopped while sending"
    failed = stale.filter(attempts__gte=settings.REGIE_OUTBOX_MAX_ATTEMPTS).update(
        status=OutboxStatus.FAILED, claim_token="", lease_expires_at=None, last_error=note
    )
    retried = stale.update(
        status=OutboxStatus.PENDING, claim_token="", lease_expires_at=None, next_attempt_at=now, last_error=note
    )
    if failed or retried:
        logger.warning("Outbox: %s expired leases back to pending, %s failed", retried, failed)
    return failed + retried


def deliver_due(now=None, limit=None):
    """The reconcile: recover dead leases, then send every due message (oldest first, up
    to `limit`). Stops early when the SMTP server is unreachable, so an outage costs one
    attempt of one message, not one of each. Returns {outcome: count}."""
    now = now or timezone.now()
    recover_expired_leases(now)
    limit = limit or settings.REGIE_OUTBOX_BATCH_SIZE
    due = list(
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    counts = {}
    for message_id in due:
        outcome = deliver(message_id, now)
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome == Outcome.UNREACHABLE:
            break
    return counts
