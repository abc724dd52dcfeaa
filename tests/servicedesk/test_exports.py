"""CSV export of the calls list: the whole filtered list, within scope, audited, safe."""

import csv
import io

import pytest

from regie.core.models import AuditRecord
from regie.servicedesk.factories import TicketFactory

pytestmark = pytest.mark.django_db


def rows_of(response):
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_export_follows_scope_and_filters(venlo, roermond, make_user, client_for):
    employee = make_user(venlo, "employee")
    mine = [TicketFactory(requester=employee, title=f"Mijn melding {i}") for i in range(30)]
    TicketFactory(requester=make_user(venlo, "employee"), title="Van een collega")
    TicketFactory(requester=make_user(roermond, "employee"), title="Roermondse melding")
    response = client_for(employee).get("/calls/", {"export": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    rows = rows_of(response)
    assert len(rows) == 1 + len(mine)  # header + all 30 (more than one page)
    titles = {row[1] for row in rows[1:]}
    assert "Van een collega" not in titles and "Roermondse melding" not in titles
    filtered = rows_of(client_for(employee).get("/calls/", {"export": "csv", "q": "Mijn melding 7"}))
    assert [row[1] for row in filtered[1:]] == ["Mijn melding 7"]
    assert AuditRecord.objects.unrestricted().filter(action="export", actor=employee).count() == 2


def test_formula_cells_are_defused(venlo, make_user, client_for):
    employee = make_user(venlo, "employee")
    TicketFactory(requester=employee, title="=HYPERLINK(\"http://evil\")")
    rows = rows_of(client_for(employee).get("/calls/", {"export": "csv"}))
    assert rows[1][1].startswith("'=")
