"""The licence and certificate panels on an item's page: what is assigned and installed,
scoped, in a fixed number of statements however many rows there are."""

import pytest
from django.urls import reverse

from regie.cmdb.certificates.factories import CertificateFactory
from regie.cmdb.certificates.models import Installation
from regie.cmdb.licences.factories import AssignmentFactory, LicenceProductFactory

pytestmark = pytest.mark.django_db


def _detail(client, item):
    response = client.get(reverse("cmdb:item-detail", args=[item.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_panels_name_licences_and_certificates_of_the_item(client_for, item_keeper, venlo_laptop):
    page = _detail(client_for(item_keeper), venlo_laptop)
    assert "No licence is assigned to this item." in page
    assert "No certificate is installed on this item." in page
    AssignmentFactory(item=venlo_laptop, product=LicenceProductFactory(name="Visio Professional"))
    certificate = CertificateFactory(organisation=venlo_laptop.organisation, common_name="zaken.venlo.example.nl",
                                     days_left=10)
    Installation.all_objects.create(certificate=certificate, item=venlo_laptop)
    page = _detail(client_for(item_keeper), venlo_laptop)
    assert "Visio Professional" in page and "no entitlement" in page
    assert "zaken.venlo.example.nl" in page and reverse("cmdb:certificate-detail", args=[certificate.pk]) in page


def test_panels_do_not_add_a_statement_per_row(client_for, item_keeper, venlo_laptop, django_assert_max_num_queries):
    client = client_for(item_keeper)
    AssignmentFactory(item=venlo_laptop)
    _detail(client, venlo_laptop)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        _detail(client, venlo_laptop)
    for _n in range(6):
        AssignmentFactory(item=venlo_laptop)
        certificate = CertificateFactory(organisation=venlo_laptop.organisation)
        Installation.all_objects.create(certificate=certificate, item=venlo_laptop)
    with django_assert_max_num_queries(len(one.captured_queries)):
        _detail(client, venlo_laptop)
