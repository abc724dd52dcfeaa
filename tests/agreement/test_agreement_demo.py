"""The demo agreement: version 1 signed by the four representatives and the provider, one open
proposal with 2 of 4 consents; idempotent."""

import random

import pytest

from regie.agreement import services
from regie.agreement.demo import load_demo
from regie.agreement.models import Agreement, AgreementVersion
from regie.core.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_demo_agreement_with_an_open_proposal_half_consented(provider, participants):
    UserFactory(organisation=provider, username="manager-ict", roles=["ict_manager"])
    made = load_demo(random.Random(2026))
    version = services.current_version(made["agreement"])
    assert version.number == 1 and version.agreement.end_date is None
    assert version.signatories.filter(signed=True).count() == 5
    assert set(made["agreement"].parties.all()) == {provider, *participants}
    progress = services.ConsentProgress(made["proposal"])
    assert (progress.consented, progress.required, made["proposal"].status) == (2, 4, "open")
    assert load_demo(random.Random(2026)) == {}
    assert Agreement.objects.unrestricted().count() == 1 and AgreementVersion.objects.unrestricted().count() == 1


def test_the_full_demo_includes_the_agreement():
    from regie.core import demo

    demo.build_demo("demo-password-1", seed=7, calls=10, extra_employees=0)
    [agreement] = Agreement.objects.unrestricted()
    assert agreement.parties.count() == 5
    [proposal] = agreement.proposals.all()
    assert proposal.status == "open" and proposal.consents.count() == 2
