"""factory_boy factories, used by the tests and the demo data alike."""

import factory
from django.contrib.auth.models import Group

from .choices import LocationKind, OrganisationKind, TeamLine
from .models import Location, Organisation, Team, User


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Gemeente {n:03d}")
    code = factory.Sequence(lambda n: f"G{n:03d}")
    kind = OrganisationKind.PARTICIPANT
    email = factory.LazyAttribute(lambda o: f"servicedesk@{o.code.lower()}.example.nl")


class ProviderFactory(OrganisationFactory):
    name = "ICT NML"
    code = "NML"
    kind = OrganisationKind.PROVIDER


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Locatie {n}")
    kind = LocationKind.SITE


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="nl_NL")
    last_name = factory.Faker("last_name", locale="nl_NL")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.nl")
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.django.Password("correct-horse-battery")
    # Tests are written in English; the demo data and Dutch-language tests say "nl".
    preferred_language = "en"

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))
            self.__dict__.pop("_role_codes", None)
            self.__dict__.pop("_perm_cache", None)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    line = TeamLine.SECOND
