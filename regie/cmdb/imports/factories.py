"""factory_boy factories for import jobs (tests and the tenancy walker)."""

import factory

from regie.cmdb.factories import ItemTypeFactory
from regie.core.factories import OrganisationFactory, UserFactory

from .models import ImportJob, ImportStatus


def csv_bytes(header, *rows, delimiter=";", bom=True):
    """A CSV file as Dutch Excel writes it (";", UTF-8 with a byte-order mark) by default."""
    lines = [delimiter.join(header), *(delimiter.join(str(cell) for cell in row) for row in rows)]
    text = "\r\n".join(lines) + "\r\n"
    return (("\ufeff" if bom else "") + text).encode()


class ImportJobFactory(factory.django.DjangoModelFactory):
    """A checked import job with a preview and one row error."""

    class Meta:
        model = ImportJob

    organisation = factory.SubFactory(OrganisationFactory)
    ci_type = factory.SubFactory(ItemTypeFactory, code="laptop")
    created_by = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..organisation"))
    file_name = factory.Sequence(lambda n: f"laptops-{n}.csv")
    file_format = "csv"
    content = factory.LazyFunction(lambda: csv_bytes(["naam", "inventarisnummer"], ["Laptop 1", "VNL-1"]))
    status = ImportStatus.INVALID
    rows_total = 2
    rows_validated = 2
    creates = 1
    error_count = 1
    errors = factory.LazyFunction(lambda: [{"row": 3, "column": "aankoopdatum", "reason": "not a date"}])
    preview = factory.LazyFunction(lambda: {"rows": [
        {"row": 2, "action": "create", "changed": [], "attributes": {},
         "values": {"name": "Laptop 1", "asset_tag": "VNL-1", "serial_number": "", "owner": "VNL"}},
    ]})


def seeded_type(code):
    """An item type exactly as the seed (data migration) declares it, also after a test that
    flushed the database (transactional tests remove the seeded rows)."""
    import copy

    from regie.cmdb.models import ConfigurationItemType
    from regie.cmdb.seed import ITEM_TYPES

    _code, name, category, attributes = copy.deepcopy(next(entry for entry in ITEM_TYPES if entry[0] == code))
    item_type, _created = ConfigurationItemType.objects.unrestricted().update_or_create(
        code=code, defaults={"name": name, "category": category, "attribute_schema": attributes, "is_active": True})
    return item_type
