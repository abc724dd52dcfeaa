"""The demo builds on a flushed database too: the seeded reference data comes back first."""

import pytest

from regie.catalogue.models import Service
from regie.changes.models import StandardChangeTemplate
from regie.core import demo
from regie.fulfilment.models import RequestType

pytestmark = pytest.mark.django_db


def test_reference_data_is_restored_when_missing_and_not_doubled():
    before = (Service.objects.unrestricted().count(), RequestType.objects.unrestricted().count(),
              StandardChangeTemplate.objects.count())
    RequestType.objects.unrestricted().all().delete()
    StandardChangeTemplate.objects.all().delete()
    demo.ensure_reference_data()
    demo.ensure_reference_data()
    after = (Service.objects.unrestricted().count(), RequestType.objects.unrestricted().count(),
             StandardChangeTemplate.objects.count())
    assert after == before and all(after)
