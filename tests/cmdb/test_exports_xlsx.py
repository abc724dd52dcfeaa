"""Excel export of any ScopedListView (?export=xlsx): the filtered list, real dates and numbers,
headers in the user's language, formulas kept as text, audited; CSV unchanged."""

import datetime
import io
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from regie.cmdb.factories import ConfigurationItemFactory, ItemTypeFactory
from regie.cmdb.models import ConfigurationItem
from regie.core.generic import ScopedListView
from regie.core.models import AuditRecord


class ItemExportView(ScopedListView):
    """A CMDB list as the item register declares one (only what the export needs)."""

    model = ConfigurationItem
    view_permission = "cmdb.view_configurationitem"
    template_name = "base.html"
    orderings = {"name": (gettext_lazy("Name"), ["name", "id"])}
    default_ordering = "name"
    select_related = ("ci_type",)
    export_name = "configuratie-items"
    export_columns = (
        (gettext_lazy("Name"), "name"),
        (gettext_lazy("Type"), "ci_type.name"),
        (gettext_lazy("Status"), "status"),
        (gettext_lazy("Purchase date"), "purchase_date"),
        (gettext_lazy("Price"), "price"),
        (gettext_lazy("Attributes"), lambda item: len(item.attributes)),
    )

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.GET.get("status"):
            queryset = queryset.filter(status=self.request.GET["status"])
        return queryset


@pytest.fixture
def items(venlo, roermond):
    laptop = ItemTypeFactory(code="laptop")
    ConfigurationItemFactory(organisation=venlo, ci_type=laptop, name="=HYPERLINK(\"http://x\")", status="in_use",
                             purchase_date=datetime.date(2025, 3, 15), price=Decimal("1234.56"), attributes={"a": 1})
    ConfigurationItemFactory(organisation=venlo, ci_type=laptop, name="Laptop B", status="retired")
    ConfigurationItemFactory(organisation=roermond, ci_type=laptop, name="Laptop van Roermond", status="in_use")


def export(user, query, language="en"):
    request = RequestFactory().get("/cmdb/items/", query)
    request.user = user
    with translation.override(language):
        response = ItemExportView.as_view()(request)
        content = b"".join(response.streaming_content) if response.streaming else response.content
    return response, content


def test_xlsx_export_is_the_filtered_scoped_list_with_real_types(items, make_user, venlo):
    user = make_user(venlo, "account_manager")
    before = AuditRecord.all_objects.filter(action="export").count()
    response, content = export(user, {"export": "xlsx", "status": "in_use"})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="configuratie-items-' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Name", "Type", "Status", "Purchase date", "Price", "Attributes")
    assert len(rows) == 2  # Venlo's item in use only: not Roermond's, not the retired one
    name, _type_name, status, bought, price, attributes = rows[1]
    assert name == '=HYPERLINK("http://x")' and sheet["A2"].data_type == "s"  # text, not a formula
    assert status == "in use"
    assert bought == datetime.datetime(2025, 3, 15)
    assert sheet["D2"].is_date and sheet["D2"].number_format == "dd-mm-yyyy"
    assert price == pytest.approx(1234.56) and sheet["E2"].data_type == "n"
    assert attributes == 1
    records = AuditRecord.all_objects.filter(action="export", object_repr="configuratie-items (Excel)")
    assert records.count() == before + 1


def test_xlsx_headers_follow_the_language(items, make_user, provider):
    user = make_user(provider, "first_line")
    _response, content = export(user, {"export": "xlsx"}, language="nl")
    header = next(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    with translation.override("nl"):
        assert list(header) == [str(h) for h, _a in ItemExportView.export_columns]
    assert load_workbook(io.BytesIO(content)).active.max_row == 4  # provider staff: all three items


def test_csv_export_is_unchanged(items, make_user, venlo):
    user = make_user(venlo, "account_manager")
    response, content = export(user, {"export": "csv"})
    text = content.decode("utf-8-sig")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert text.splitlines()[0] == "Name,Type,Status,Purchase date,Price,Attributes"
    assert "'=HYPERLINK" in text and "2025-03-15" in text and "1234.56" in text


def test_list_page_offers_both_exports(items, make_user, venlo):
    request = RequestFactory().get("/cmdb/items/", {"status": "in_use", "cursor": "x"})
    request.user = make_user(venlo, "account_manager")
    view = ItemExportView()
    view.setup(request)
    context = view.get_context_data()
    assert context["export_url"] == "?status=in_use&export=csv"
    assert context["export_xlsx_url"] == "?status=in_use&export=xlsx"


def test_a_view_without_export_columns_does_not_export(items, make_user, venlo):
    class Plain(ItemExportView):
        export_columns = ()

    request = RequestFactory().get("/cmdb/items/", {"export": "xlsx"})
    request.user = make_user(venlo, "account_manager")
    view = Plain()
    view.setup(request)
    assert view.get_context_data()["export_xlsx_url"] is None
