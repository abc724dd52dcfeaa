"""Notification preferences cover every event the service desk sends: the calamity update
is listed on the preferences page, and switching it off is honoured by the scheduled
updates (calamity.send_due_updates)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from regie.integrations.events import EVENTS
from regie.integrations.models import Notification, NotificationPreference, OutboxMessage
from regie.servicedesk import calamity as rules

pytestmark = pytest.mark.django_db


def events_sent_in_code():
    """Every event key the service desk hands to notify(): literals and *_EVENT constants."""
    found = set()
    for path in (Path(settings.BASE_DIR) / "regie" / "servicedesk").rglob("*.py"):
        text = path.read_text()
        found |= set(re.findall(r"_?notify\(\s*\"([a-z_]+\.[a-z_]+)\"", text))
        found |= set(re.findall(r"^[A-Z_]*EVENT\s*=\s*\"([a-z_]+\.[a-z_]+)\"", text, re.MULTILINE))
    return found


def test_every_event_the_service_desk_sends_can_be_switched_off():
    sent = events_sent_in_code()
    assert {"calamity.update", "ticket.replied", "ticket.escalated"} <= sent
    assert sent <= set(EVENTS), f"not on the preferences page: {sorted(sent - set(EVENTS))}"


def test_the_preferences_page_lists_the_calamity_update(client_for, venlo, make_user):
    page = client_for(make_user(venlo, "account_manager")).get(reverse("notifications:preferences"))
    assert page.status_code == 200
    assert 'name="calamity.update:email"' in page.content.decode()
    assert 'name="calamity.update:in_app"' in page.content.decode()


def test_switching_the_calamity_update_off_is_honoured(client_for, provider, venlo, make_user):
    agent = make_user(provider, "first_line")
    quiet = make_user(venlo, "account_manager", email="stil@venlo.example")
    mail_only = make_user(venlo, "representative", email="mail@venlo.example")
    venlo.account_manager, venlo.representative = quiet, mail_only
    venlo.save()
    # Every other event stays on; only the calamity update is switched off (both channels).
    others = {f"{event}:{channel}": "on" for event in EVENTS if event != "calamity.update"
              for channel in ("email", "in_app")}
    assert client_for(quiet).post(reverse("notifications:preferences"), others).status_code == 302
    assert client_for(mail_only).post(reverse("notifications:preferences"),
                                      {**others, "calamity.update:email": "on"}).status_code == 302
    assert NotificationPreference.objects.get(user=quiet, event="calamity.update").email is False

    start = timezone.now() - timedelta(minutes=61)
    rules.declare(agent, title="Uitval BRP", affected_participants=[venlo], update_interval_minutes=60, now=start)
    assert rules.send_due_updates() == 1
    assert not Notification.objects.unrestricted().filter(event="calamity.update").exists()
    assert list(OutboxMessage.objects.filter(event="calamity.update").values_list("to_address", flat=True)) == [
        "mail@venlo.example"]
