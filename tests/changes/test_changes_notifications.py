"""Notifications of change management: the board hears of a submitted change, the owner and
requester of the board's decision; each once, in the recipient's language, in the outbox."""

import pytest
from django.core.exceptions import ValidationError

from regie.changes import services
from regie.changes.factories import ChangeFactory
from regie.integrations.models import Notification, OutboxMessage

pytestmark = pytest.mark.django_db


def _events(user):
    return list(Notification.all_objects.filter(user=user).values_list("event", flat=True))


def test_submission_notifies_every_board_member_but_not_the_submitter(draft, engineer, lead, ict_manager):
    services.submit(engineer, draft)
    assert _events(lead) == ["change.approval_requested"]
    assert _events(ict_manager) == ["change.approval_requested"]
    assert _events(engineer) == []
    notice = Notification.all_objects.get(user=lead)
    assert draft.reference in notice.title and notice.url.endswith(f"/changes/{draft.pk}/")


def test_a_board_member_submitting_is_not_asked_to_decide_on_their_own_submission(provider, lead, ict_manager,
                                                                                  storage, window):
    change = ChangeFactory(organisation=provider, requester=lead, owner=lead, items=[storage],
                           planned_start=window[0], planned_end=window[1])
    services.submit(lead, change)
    assert _events(lead) == [] and _events(ict_manager) == ["change.approval_requested"]


def test_a_standard_change_asks_nobody(provider, engineer, lead, storage, template, window):
    change = ChangeFactory(organisation=provider, requester=engineer, owner=engineer, items=[storage], kind="standard",
                           template=template, planned_start=window[0], planned_end=window[1])
    services.submit(engineer, change)
    assert _events(lead) == []


def test_the_decision_reaches_owner_and_requester_once(draft, engineer, lead, ict_manager, third_member, venlo,
                                                       make_user):
    requester = make_user(venlo, "account_manager", username="chg.requester", preferred_language="nl")
    draft.requester = requester
    draft.save()
    services.submit(engineer, draft)
    services.decide(lead, draft, True)
    assert "change.decided" not in _events(engineer)  # one approval of two: not decided yet
    services.decide(ict_manager, draft, True)
    assert _events(engineer).count("change.decided") == 1
    dutch = Notification.all_objects.get(user=requester, event="change.decided")
    assert "goedgekeurd" in dutch.title
    with pytest.raises(ValidationError):
        services.decide(third_member, draft, True)  # no longer submitted: refused, nothing sent
    assert _events(engineer).count("change.decided") == 1


def test_a_rejection_carries_the_reason_and_goes_to_the_outbox(draft, engineer, lead):
    engineer.email = "tom@ictnml.example"
    engineer.save()
    services.submit(engineer, draft)
    services.decide(lead, draft, False, "Geen terugvalplan getest.")
    notice = Notification.all_objects.get(user=engineer, event="change.decided")
    assert "rejected" in notice.title and "Geen terugvalplan getest." in notice.body
    assert OutboxMessage.objects.filter(to_address="tom@ictnml.example", subject__contains=draft.reference).count() == 1
