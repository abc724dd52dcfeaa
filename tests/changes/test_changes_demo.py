"""The demo changes on the demo CMDB estate: every state, two conflicting on SAN-VLO-01, idempotent."""

import random

import pytest

from regie.changes import services
from regie.changes.choices import ChangeStatus
from regie.changes.demo import load_demo
from regie.changes.models import Change
from regie.cmdb.demo import load_demo as load_items_demo
from regie.core.demo import MUNICIPALITIES
from regie.core.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_demo_changes_in_every_state_two_conflicting(provider):
    for name, code, workplaces, *_rest in MUNICIPALITIES:
        OrganisationFactory(name=name, code=code, workplace_count=workplaces)
    for username, role in (("teamleider", "team_lead"), ("manager-ict", "ict_manager"), ("beheerder", "engineer"),
                           ("piket", "on_call_engineer")):
        UserFactory(organisation=provider, username=username, roles=[role])
    load_items_demo(random.Random(2026))
    made = load_demo(random.Random(2026))
    assert {change.status for change in made.values()} == {
        ChangeStatus.SCHEDULED, ChangeStatus.SUBMITTED, ChangeStatus.CLOSED, ChangeStatus.IN_PROGRESS,
        ChangeStatus.REJECTED, ChangeStatus.DRAFT,
    }
    assert list(services.conflicts_of(made["scheduled"])) == [made["submitted"]]
    count = Change.objects.unrestricted().count()
    assert load_demo(random.Random(2026)) == {}
    assert Change.objects.unrestricted().count() == count
