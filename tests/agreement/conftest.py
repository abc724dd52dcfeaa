"""Fixtures of the agreement tests: the provider, four participants each with its
representative, and version 1 of the agreement. Data from the factories."""

import pytest

from regie.agreement.factories import AgreementFactory, AgreementVersionFactory, SignatoryFactory
from regie.core.factories import OrganisationFactory

PARTICIPANTS = (("Gemeente Venlo", "VNL"), ("Gemeente Roermond", "RMD"), ("Gemeente Weert", "WRT"),
                ("Gemeente Nederweert", "NDW"))


@pytest.fixture
def participants(db, make_user):
    """The four participants, each with a representative (role and relation)."""
    made = []
    for name, code in PARTICIPANTS:
        organisation = OrganisationFactory(name=name, code=code)
        organisation.representative = make_user(organisation, "representative", username=f"rep.{code.lower()}",
                                                first_name="Rep", last_name=name.split()[-1])
        organisation.save()
        made.append(organisation)
    return made


@pytest.fixture
def representatives(participants):
    return [organisation.representative for organisation in participants]


@pytest.fixture
def agreement(provider, participants):
    return AgreementFactory(provider=provider, parties=participants)


@pytest.fixture
def version1(agreement, participants):
    version = AgreementVersionFactory(agreement=agreement, number=1, text="Tekst versie 1")
    for organisation in participants:
        SignatoryFactory(version=version, organisation=organisation, person=organisation.representative)
    return version


@pytest.fixture
def lead(provider, make_user):
    """Provider staff who may propose changes (team lead)."""
    return make_user(provider, "team_lead", username="dvo.lead", first_name="Bas", last_name="Coenen")


@pytest.fixture
def ict_manager(provider, make_user):
    """Provider staff who manage the agreement (signatures, documents)."""
    return make_user(provider, "ict_manager", username="dvo.manager", first_name="Ingrid", last_name="Thijssen")


@pytest.fixture
def open_proposal(version1, lead):
    from regie.agreement import services

    proposal = services.propose(lead, version1.agreement, {
        "title": "Certificaatbeheer", "changes": "Nieuwe §4.7.6", "reason": "Verlopen certificaten",
        "proposed_text": "Tekst versie 2",
    })
    return services.open_for_consent(lead, proposal)
