"""factory_boy factories of the agreement, used by the tests and the demo data alike."""

import datetime

import factory

from regie.core.factories import ProviderFactory, UserFactory

from .choices import ConsentDecision, ProposalStatus
from .models import Agreement, AgreementVersion, ChangeProposal, Consent, Signatory


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement
        skip_postgeneration_save = True

    title = "Dienstverleningsovereenkomst ICT NML"
    provider = factory.SubFactory(ProviderFactory)
    start_date = datetime.date(2025, 1, 1)
    renewal_terms = "Gelijk aan de looptijd van de gemeenschappelijke regeling."
    notice_period = "Via het bestuur (§7.1)"

    @factory.post_generation
    def parties(self, create, extracted, **kwargs):
        if create:
            self.parties.add(self.provider, *(extracted or []))


class AgreementVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgreementVersion

    agreement = factory.SubFactory(AgreementFactory)
    number = factory.Sequence(lambda n: n + 1)
    effective_date = datetime.date(2025, 1, 1)
    summary = "Eerste versie van de DVO."
    text = "1 Partijen, Looptijd en akkoord"


class SignatoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signatory

    version = factory.SubFactory(AgreementVersionFactory)
    organisation = factory.SubFactory(ProviderFactory)
    name = factory.LazyAttribute(lambda s: s.person.get_full_name() if s.person else "")
    person = None
    signed = True
    signed_on = datetime.date(2025, 1, 1)


class ChangeProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChangeProposal

    agreement = factory.SubFactory(AgreementFactory)
    title = factory.Sequence(lambda n: f"Wijzigingsvoorstel {n}")
    changes = "Nieuwe paragraaf 4.7.6 over het beheer van certificaten."
    reason = "Certificaten verlopen nu onopgemerkt."
    status = ProposalStatus.DRAFT
    proposer = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..agreement.provider"))


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    proposal = factory.SubFactory(ChangeProposalFactory, status=ProposalStatus.OPEN)
    person = factory.SubFactory(UserFactory)
    organisation = factory.LazyAttribute(lambda c: c.person.organisation)
    decision = ConsentDecision.CONSENTED
