"""Outgoing e-mail and in-app notifications.

`enqueue_email()` and `notify()` only write rows, in the caller's transaction; the
worker sends (tasks.py, delivery.py). So:
- a rolled-back change sends nothing (the rows are rolled back with it);
- a broker outage loses nothing: the on-commit kick may fail, the row stays pending and
  the beat reconcile `deliver_pending` sends it;
- a retried caller (a task run twice, a double submit) enqueues once: every row has a
  unique `dedup_key`, and a duplicate insert is silently ignored.
"""

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.template.loader import select_template
from django.utils import translation

from .models import Notification, NotificationPreference, OutboxMessage

logger = logging.getLogger(__name__)

TEMPLATE_DIR = "integrations/email"
# Characters allowed in the local part of a Message-ID (RFC 5322 dot-atom-text).
_MSGID_UNSAFE = re.compile(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*){2,}")


# --- addresses and threading ---------------------------------------------------------------

def mail_domain():
    return getattr(settings, "REGIE_MAIL_DOMAIN", "") or "regie.invalid"


def new_message_id():
    """A fresh Message-ID, fixed once per outbox row: every resend of that row carries it."""
    return f"<{uuid.uuid4().hex}@{mail_domain()}>"


def thread_id(obj):
    """The stable thread id of an object, e.g. <VNL-2026-000123@regie.invalid>. Every
    message about the object refers to it (In-Reply-To, References), so mail clients
    show one conversation and replies can later be matched to the object."""
    local = getattr(obj, "reference", "") or f"{obj._meta.label_lower}.{obj.pk}"
    local = _MSGID_UNSAFE.sub("-", str(local)).strip(".") or "object"
    return f"<{local}@{mail_domain()}>"


def language_for(user):
    codes = {code for code, _name in settings.LANGUAGES}
    language = getattr(user, "preferred_language", None)
    return language if language in codes else settings.LANGUAGE_CODE


def absolute_url(path):
    if not path or path.startswith(("http://", "https://")):
        return path
    return f"{settings.REGIE_PUBLIC_URL}{path}"


def _object_path(obj, context):
    path = context.get("url") or (obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else "")
    # Only a local path is ever stored as a link (no javascript:, no other site).
    return path if isinstance(path, str) and path.startswith("/") and not path.startswith("//") else ""


def _organisation_id(obj, recipient=None):
    organisation_id = getattr(obj, "organisation_id", None) if obj is not None else None
    if organisation_id is None and recipient is not None:
        organisation_id = getattr(recipient, "organisation_id", None)
    return organisation_id


# --- rendering -------------------------------------------------------------------------------

@dataclass
class RenderedMessage:
    subject: str
    text: str
    html: str
    summary: str


def _template(name, part):
    return select_template([f"{TEMPLATE_DIR}/{name}.{part}", f"{TEMPLATE_DIR}/default.{part}"])


def clean_subject(subject):
    """One line (a newline in a header is an injection), at most 300 characters."""
    return " ".join(str(subject).split())[:300]


def render_message(template, context, language):
    """Subject, text, HTML and a one-paragraph summary, rendered in `language`.

    Templates: integrations/email/<template>.{subject.txt,txt,html,summary.txt}, falling
    back to default.*. The HTML is auto-escaped; the text parts are not (they are text).
    """
    with translation.override(language):
        context = {**context, "language": language}
        subject = clean_subject(_template(template, "subject.txt").render(context))
        summary = _template(template, "summary.txt").render(context).strip()
        # The layouts (default.txt/html) show the summary; an event needs only its own
        # subject and summary templates, but may bring its own layouts too.
        context = {**context, "subject": subject, "summary": summary}
        text = _BLANK_LINES.sub("\n\n", _template(template, "txt").render(context)).strip() + "\n"
        html = _template(template, "html").render(context)
    return RenderedMessage(subject=subject, text=text, html=html, summary=summary)


# --- the outbox --------------------------------------------------------------------------------

def _dedup_key(*parts):
    return hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()


def kick_delivery(message_id):
    """After commit: ask a worker to send now. A broker outage is not an error here: the
    row stays pending and the beat reconcile sends it."""
    from .tasks import deliver_outbox

    try:
        deliver_outbox.delay(message_id)
    except Exception:
        logger.warning("Could not queue delivery of outbox message %s; the reconcile will send it", message_id,
                       exc_info=True)


def enqueue_email(
    to,
    *,
    subject="",
    text_body="",
    html_body="",
    template=None,
    context=None,
    recipient=None,
    language=None,
    event="",
    obj=None,
    dedup_key=None,
):
    """Write one e-mail to the outbox in the caller's transaction; returns the row.

    Either give `template` (and `context`), rendered in `language` (default: the
    recipient's preferred language), or a ready `subject`/`text_body`/`html_body`.
    With a `dedup_key`, a second enqueue with the same key returns the first row and
    queues nothing new. Messages about `obj` are threaded on its `thread_id()`.
    """
    language = language or language_for(recipient)
    if template:
        rendered = render_message(
            template, _render_context(obj, recipient, context or {}), language
        )
        subject, text_body, html_body = rendered.subject, rendered.text, rendered.html
    message = OutboxMessage(
        to_address=to,
        recipient=recipient,
        language=language,
        subject=clean_subject(subject),
        text_body=text_body,
        html_body=html_body,
        message_id=new_message_id(),
        event=event,
        dedup_key=dedup_key or _dedup_key("email", uuid.uuid4().hex),
        organisation_id=_organisation_id(obj, recipient),
    )
    if obj is not None:
        thread = thread_id(obj)
        message.in_reply_to = thread
        message.references = thread
        message.content_type = ContentType.objects.get_for_model(obj)
        message.object_id = str(obj.pk)
    # INSERT ... ON CONFLICT DO NOTHING: a duplicate neither fails nor breaks the caller's
    # transaction, and two concurrent enqueues of the same key leave one row.
    OutboxMessage.objects.bulk_create([message], ignore_conflicts=True)
    message = OutboxMessage.objects.get(dedup_key=message.dedup_key)
    transaction.on_commit(partial(kick_delivery, message.pk))
    return message


def _render_context(obj, recipient, context):
    path = _object_path(obj, context) if obj is not None else ""
    return {
        "object": obj,
        "recipient": recipient,
        "url": absolute_url(path),
        "site_url": settings.REGIE_PUBLIC_URL,
        **{key: value for key, value in context.items() if key != "url"},
    }


# --- notifications ---------------------------------------------------------------------------

def preferences_for(users, event):
    """{user id: (email, in_app)} for these users; no preference row means both on."""
    rows = NotificationPreference.objects.filter(user__in=[user.pk for user in users], event=event)
    chosen = {row.user_id: (row.email, row.in_app) for row in rows}
    return {user.pk: chosen.get(user.pk, (True, True)) for user in users}


def occurrence_of(obj, context):
    """What tells two occurrences of one event on one object apart: by default the model
    instances passed in the context (escalation=, reply=…), so escalation step 2 is a new
    message while a retry of step 1 is not. Pass `occurrence=` to say it yourself."""
    instances = sorted(
        f"{key}={value._meta.label_lower}:{value.pk}"
        for key, value in context.items()
        if isinstance(value, models.Model) and value is not obj and value.pk is not None
    )
    return ",".join(instances)


def notify(event, obj, recipients, context=None, *, occurrence=None):
    """Tell `recipients` (users, or plain e-mail addresses) about `event` on `obj`: an
    in-app notification and an e-mail, each as the person's preferences allow, each in
    their own language. Runs in the caller's transaction; sends once per event,
    recipient and channel however often it is called (see `occurrence_of`)."""
    context = dict(context or {})
    occurrence = occurrence_of(obj, context) if occurrence is None else str(occurrence)
    content_type = ContentType.objects.get_for_model(obj) if obj is not None else None
    object_key = (content_type.pk if content_type else "", obj.pk if obj is not None else "")
    users, addresses = [], []
    for recipient in dict.fromkeys(recipients):
        if recipient is None:
            continue
        if isinstance(recipient, str):
            addresses.append(recipient)
        elif recipient.is_active:
            users.append(recipient)
    preferences = preferences_for(users, event)
    path = _object_path(obj, context) if obj is not None else ""
    notifications = []
    for user in users:
        wants_email, wants_in_app = preferences[user.pk]
        if not (wants_email and user.email) and not wants_in_app:
            continue
        render_context = _render_context(obj, user, context)
        rendered = render_message(event, render_context, language_for(user))
        if wants_in_app:
            notifications.append(Notification(
                user=user,
                organisation_id=_organisation_id(obj, user),
                event=event,
                title=rendered.subject,
                body=rendered.summary,
                url=path,
                content_type=content_type,
                object_id=str(obj.pk) if obj is not None else "",
                dedup_key=_dedup_key("in_app", event, *object_key, occurrence, user.pk),
            ))
        if wants_email and user.email:
            enqueue_email(
                user.email, subject=rendered.subject, text_body=rendered.text, html_body=rendered.html,
                recipient=user, language=language_for(user), event=event, obj=obj,
                dedup_key=_dedup_key("email", event, *object_key, occurrence, user.pk),
            )
    if notifications:
        Notification.all_objects.bulk_create(notifications, ignore_conflicts=True)
    for address in dict.fromkeys(addresses):
        enqueue_email(
            address, template=event, context=context, language=settings.LANGUAGE_CODE, event=event, obj=obj,
            dedup_key=_dedup_key("email", event, *object_key, occurrence, address.lower()),
        )


def unread_count(user):
    return Notification.objects.for_user(user).unread().count()


def mark_read(user, notification_ids=None):
    """Marks the user's own notifications read (all, or these); returns how many."""
    from django.utils import timezone

    queryset = Notification.objects.for_user(user).unread()
    if notification_ids is not None:
        queryset = queryset.filter(pk__in=notification_ids)
    return queryset.update(read_at=timezone.now())
