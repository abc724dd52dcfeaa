"""The agreement in the browser: the ICT manager proposes a change and opens it; with 2 of 4
consents the third
participant's representative opens the overview, sees the progress and who still has to
consent, consents on the proposal page and sees 3 of 4; after the fourth consent the new
version is the current one."""

import re

import pytest
from django.utils import translation

from regie.agreement import services
from regie.agreement.factories import AgreementFactory, AgreementVersionFactory, SignatoryFactory
from regie.agreement.models import ChangeProposal
from regie.core.factories import OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def nl(text):
    with translation.override("nl"):
        return translation.gettext(text)


def test_a_representative_consents_and_sees_the_progress(signed_in, provider, make_user):
    from playwright.sync_api import expect

    participants = []
    for name, code, first, last in (("Gemeente Venlo", "VNL", "Frank", "Smeets"),
                                    ("Gemeente Roermond", "RMD", "Anke", "Janssen"),
                                    ("Gemeente Weert", "WRT", "Joost", "Hendriks"),
                                    ("Gemeente Nederweert", "NDW", "Marij", "Peeters")):
        organisation = OrganisationFactory(name=name, code=code)
        organisation.representative = make_user(organisation, "representative", first_name=first, last_name=last,
                                                 preferred_language="nl")
        organisation.save()
        participants.append(organisation)
    lead = make_user(provider, "ict_manager", first_name="Ingrid", last_name="Thijssen", preferred_language="nl")
    agreement = AgreementFactory(provider=provider, parties=participants)
    version = AgreementVersionFactory(agreement=agreement, number=1, text="1 Partijen, Looptijd en akkoord")
    for organisation in participants:
        SignatoryFactory(version=version, organisation=organisation, person=organisation.representative)
    # The ICT manager proposes the change through the form and opens it for consent.
    manager = signed_in("manager", lead, "/agreement/")
    manager.page.locator("main").get_by_role("link", name=nl("Propose a change")).click()
    manager.page.fill("#id_title", "Nieuwe paragraaf 4.7.6: beheer van certificaten")
    manager.page.fill("#id_changes", "ICT NML houdt een register bij van alle certificaten.")
    manager.page.fill("#id_reason", "Verlopen certificaten leidden tot uitval.")
    manager.screenshot("0-proposal-form")
    manager.page.get_by_role("button", name=nl("Save as draft")).click()
    manager.page.get_by_role("button", name=nl("Open for consent")).click()
    expect(manager.page.locator(".alert-success")).to_be_visible()
    manager.assert_clean()
    proposal = ChangeProposal.objects.unrestricted().get()
    assert proposal.status == "open"
    for organisation in participants[:2]:
        services.consent(organisation.representative, proposal)

    weert = participants[2].representative
    session = signed_in("weert", weert, "/agreement/")
    page = session.page
    progress = page.locator(f"#progress-{proposal.pk}")
    expect(progress).to_have_attribute("value", "2")
    expect(progress).to_have_attribute("max", "4")
    expect(page.locator("main")).to_contain_text("Joost Hendriks (Gemeente Weert)")
    session.screenshot("1-overview-2-of-4")

    page.get_by_role("link", name=re.compile("beheer van certificaten")).click()
    expect(page).to_have_url(re.compile(rf"/agreement/proposals/{proposal.pk}/$"))
    page.get_by_role("button", name=nl("Consent"), exact=True).click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(f"#progress-{proposal.pk}")).to_have_attribute("value", "3")
    expect(page.get_by_role("button", name=nl("Consent"), exact=True)).to_have_count(0)
    session.screenshot("2-consented-3-of-4")
    session.assert_clean()

    nederweert = signed_in("nederweert", participants[3].representative, f"/agreement/proposals/{proposal.pk}/")
    nederweert.page.get_by_role("button", name=nl("Consent"), exact=True).click()
    expect(nederweert.page.locator(f"#progress-{proposal.pk}")).to_have_attribute("value", "4")
    assert ChangeProposal.objects.unrestricted().get(pk=proposal.pk).status == "effective"
    nederweert.page.goto("/agreement/")
    expect(nederweert.page.locator("#version-heading + p")).to_contain_text("2")
    nederweert.screenshot("3-version-2-current")
    nederweert.assert_clean()
