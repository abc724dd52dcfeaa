"""factory_boy factories for the CMDB, used by the tests and the demo data alike."""

import datetime

import factory

from regie.core.factories import OrganisationFactory, ProviderFactory

from .choices import CIStatus, ContractKind, ModelApproval, RelationKind
from .models import (
    ConfigurationItem,
    ConfigurationItemModel,
    ConfigurationItemType,
    Contract,
    ContractLine,
    Relation,
    Supplier,
    SupplierContact,
)


class ItemTypeFactory(factory.django.DjangoModelFactory):
    """An item type; seeded types are reused by code (e.g. ItemTypeFactory(code="laptop"))."""

    class Meta:
        model = ConfigurationItemType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"type-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").capitalize())
    category = "workplace"
    attribute_schema = factory.LazyFunction(list)


class ItemModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConfigurationItemModel

    ci_type = factory.SubFactory(ItemTypeFactory)
    manufacturer = "HP"
    name = factory.Sequence(lambda n: f"EliteBook {800 + n}")
    approval = ModelApproval.APPROVED


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Leverancier {n} B.V.")
    email = factory.Sequence(lambda n: f"support{n}@leverancier.example.nl")


class SupplierContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierContact

    supplier = factory.SubFactory(SupplierFactory)
    name = factory.Sequence(lambda n: f"Contactpersoon {n}")
    email = factory.Sequence(lambda n: f"contact{n}@leverancier.example.nl")


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    organisation = factory.SubFactory(ProviderFactory)
    supplier = factory.SubFactory(SupplierFactory)
    reference = factory.Sequence(lambda n: f"RC-{2025}-{n:03d}")
    name = factory.Sequence(lambda n: f"Raamcontract {n}")
    kind = ContractKind.FRAMEWORK
    starts_on = datetime.date(2025, 1, 1)
    ends_on = datetime.date(2028, 12, 31)


class ContractLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContractLine

    contract = factory.SubFactory(ContractFactory)
    description = factory.Sequence(lambda n: f"Productlijn {n}")
    unit_price = "899.00"


class ConfigurationItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConfigurationItem

    organisation = factory.SubFactory(OrganisationFactory)
    ci_type = factory.SubFactory(ItemTypeFactory)
    name = factory.Sequence(lambda n: f"CI-{n:05d}")
    status = CIStatus.IN_USE
    asset_tag = factory.Sequence(lambda n: f"AT{n:06d}")
    serial_number = factory.Sequence(lambda n: f"SN{n:08d}")


class RelationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Relation

    source = factory.SubFactory(ConfigurationItemFactory)
    target = factory.SubFactory(ConfigurationItemFactory)
    kind = RelationKind.RUNS_ON
