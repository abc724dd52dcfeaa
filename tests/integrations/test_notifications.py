"""In-app notifications, preferences and the /notifications/ page."""

import pytest
from django.conf import settings
from django.urls import reverse

from regie.integrations import services
from regie.integrations.factories import NotificationFactory
from regie.integrations.models import Notification, NotificationPreference, OutboxMessage
from regie.servicedesk.factories import TicketFactory
from regie.servicedesk.models import Escalation, EscalationStep

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(venlo, make_user):
    return make_user(venlo, "employee", preferred_language="nl")


@pytest.fixture
def colleague(venlo, make_user):
    return make_user(venlo, "employee", preferred_language="en")


@pytest.fixture
def ticket(person):
    return TicketFactory(requester=person, title="Scanner weigert")


def test_notify_writes_in_app_and_email_per_preferences(ticket, person, colleague, make_user, venlo):
    NotificationPreference.objects.create(user=colleague, event="ticket.resolved", email=False, in_app=True)
    silent = make_user(venlo, "employee")
    NotificationPreference.objects.create(user=silent, event="ticket.resolved", email=False, in_app=False)
    gone = make_user(venlo, "employee", is_active=False)

    services.notify("ticket.resolved", ticket, [person, colleague, silent, gone, None, "balie@venlo.example.nl"])

    assert set(Notification.objects.unrestricted().values_list("user", flat=True)) == {person.pk, colleague.pk}
    assert set(OutboxMessage.objects.values_list("to_address", flat=True)) == {person.email, "balie@venlo.example.nl"}
    notification = Notification.objects.for_user(person).get()
    assert ticket.reference in notification.title
    assert notification.url == ticket.get_absolute_url()
    assert notification.organisation_id == ticket.organisation_id
    email = OutboxMessage.objects.get(recipient=person)
    assert settings.REGIE_PUBLIC_URL + ticket.get_absolute_url() in email.text_body  # absolute link to the call
    assert email.organisation_id == ticket.organisation_id
    assert (email.content_type.model, email.object_id) == ("ticket", str(ticket.pk))


def test_preferences_for_one_event_leave_others_on(ticket, person):
    NotificationPreference.objects.create(user=person, event="ticket.resolved", email=False, in_app=False)

    services.notify("ticket.created", ticket, [person])

    assert Notification.objects.for_user(person).count() == 1
    assert OutboxMessage.objects.filter(recipient=person).count() == 1


def test_each_escalation_step_is_its_own_event_and_a_retry_is_not(ticket, person, provider, make_user):
    staff = make_user(provider, "first_line")
    step_1 = Escalation.objects.create(ticket=ticket, step=EscalationStep.INCIDENT_MANAGER, reason="Te traag",
                                       raised_by=staff)
    step_2 = Escalation.objects.create(ticket=ticket, step=EscalationStep.choices[1][0], reason="Nog steeds",
                                       raised_by=staff)

    # As the service desk calls it (regie/servicedesk/notifications.py), twice for step 1.
    for escalation in (step_1, step_1, step_2):
        services.notify("ticket.escalated", ticket, [person], {"ticket": ticket, "escalation": escalation})

    assert Notification.objects.for_user(person).count() == 2
    assert OutboxMessage.objects.count() == 2
    subjects = set(OutboxMessage.objects.values_list("subject", flat=True))
    assert all(ticket.reference in subject for subject in subjects)
    assert len(subjects) == 2  # the step is in the subject


def test_notification_link_is_only_ever_a_local_path(ticket, person):
    services.notify("ticket.created", ticket, [person], {"url": "javascript:alert(1)"}, occurrence="a")
    services.notify("ticket.created", ticket, [person], {"url": "//evil.example.com/"}, occurrence="b")

    assert set(Notification.objects.for_user(person).values_list("url", flat=True)) == {""}


def test_list_shows_only_own_notifications(client_for, person, colleague):
    NotificationFactory(user=person, title="Mijn melding")
    NotificationFactory(user=colleague, title="Melding van een collega")

    response = client_for(person).get(reverse("notifications:list"))

    assert response.status_code == 200
    assert "Mijn melding" in response.content.decode()
    assert "Melding van een collega" not in response.content.decode()


def test_marking_someone_elses_notification_is_404(client_for, person, colleague, provider, make_user):
    theirs = NotificationFactory(user=colleague)
    staff = make_user(provider, "first_line", "administrator")

    for user in (person, staff):
        response = client_for(user).post(reverse("notifications:read", args=[theirs.pk]))
        assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_and_open(client_for, person, ticket):
    notification = NotificationFactory(user=person, url=ticket.get_absolute_url())
    client = client_for(person)

    response = client.post(reverse("notifications:read", args=[notification.pk]), {"open": "1"})

    assert response.status_code == 302 and response["Location"] == ticket.get_absolute_url()
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_read_ignores_an_off_site_next(client_for, person):
    notification = NotificationFactory(user=person)

    response = client_for(person).post(
        reverse("notifications:read", args=[notification.pk]), {"next": "https://evil.example.com/"}
    )

    assert response.status_code == 302 and response["Location"] == reverse("notifications:list")


def test_mark_read_needs_post(client_for, person):
    notification = NotificationFactory(user=person)

    assert client_for(person).get(reverse("notifications:read", args=[notification.pk])).status_code == 405


def test_mark_all_read_touches_only_own(client_for, person, colleague):
    NotificationFactory.create_batch(2, user=person)
    theirs = NotificationFactory(user=colleague)

    client_for(person).post(reverse("notifications:read-all"))

    assert not Notification.objects.for_user(person).unread().exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_navbar_badge_counts_unread(client_for, person, colleague):
    NotificationFactory.create_batch(3, user=person)
    NotificationFactory(user=person, read_at="2026-01-01T10:00:00+01:00")
    NotificationFactory.create_batch(5, user=colleague)

    body = client_for(person).get(reverse("home")).content.decode()

    assert 'id="notification-badge"' in body
    assert ">3<span" in body


def test_preferences_page_saves_choices(client_for, person):
    client = client_for(person)
    assert client.get(reverse("notifications:preferences")).status_code == 200

    response = client.post(reverse("notifications:preferences"), {
        "ticket.created:email": "on",
        "ticket.replied:in_app": "on",
        "not.an.event:email": "on",
    })

    assert response.status_code == 302
    saved = {p.event: (p.email, p.in_app) for p in NotificationPreference.objects.filter(user=person)}
    assert saved["ticket.created"] == (True, False)
    assert saved["ticket.replied"] == (False, True)
    assert saved["ticket.resolved"] == (False, False)
    assert "not.an.event" not in saved


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("notifications:list"))

    assert response.status_code == 302 and reverse("login") in response["Location"]
