"""The demo data set: four municipalities, the provider, a user for every role."""

import pytest

from regie.core import demo
from regie.core.models import Organisation, User
from regie.core.roles import ROLES
from regie.servicedesk.models import Ticket

pytestmark = pytest.mark.django_db


def test_demo_builds_every_role_and_calls_for_each_municipality():
    assert not demo.demo_exists()
    demo.build_demo("demo-password-1", seed=7, calls=40, extra_employees=1)
    assert demo.demo_exists()
    participants = Organisation.objects.unrestricted().participants()
    assert {o.code for o in participants} == {"VNL", "RMD", "WRT", "NDW"}
    roles_present = set(User.objects.unrestricted().values_list("groups__name", flat=True))
    assert set(ROLES) <= roles_present
    for organisation in participants:
        assert organisation.account_manager and organisation.representative and organisation.information_advisor
        assert Ticket.objects.unrestricted().filter(organisation=organisation).exists()
    venlo_employee = User.objects.unrestricted().get(username="venlo.medewerker")
    assert venlo_employee.check_password("demo-password-1")
    assert venlo_employee.is_demo
    # The named demo employee always has a few recent calls to follow.
    assert Ticket.objects.for_user(venlo_employee).count() >= 3
