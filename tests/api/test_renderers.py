"""The API's orjson renderer writes what DRF's JSONRenderer writes, byte for byte."""

import datetime
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from regie.api.renderers import FastJSONRenderer
from regie.servicedesk.choices import TicketStatus

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

CASES = [
    {"title": "Printer storing", "count": 3, "ratio": 0.75, "open": True, "assignee": None},
    [1, "twee", {"drie": [4.5, None]}],
    {"date": datetime.date(2026, 11, 29), "at": datetime.datetime(2026, 3, 29, 2, 30, tzinfo=datetime.UTC),
     "local": datetime.datetime(2026, 10, 25, 2, 30, 0, 123456, tzinfo=AMSTERDAM), "time": datetime.time(8, 30),
     "span": datetime.timedelta(hours=4)},
    {"price": Decimal("1234.56"), "id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    {"label": gettext_lazy("Calls"), "status": TicketStatus.IN_PROGRESS},
    {"text": "regel\u2028scheiding\u2029alinea é ë €", "quote": 'zei "ja" \\ nee'},
    {"empty": {}, "list": [], "nested": [[[]]]},
]


@pytest.mark.parametrize("data", CASES)
def test_same_bytes_as_drf(data):
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_nothing_renders_as_no_body():
    assert FastJSONRenderer().render(None) == b""


def test_indent_when_asked_falls_back_to_drf():
    data = {"a": [1, 2]}
    rendered = FastJSONRenderer().render(data, "application/json; indent=2")
    assert rendered == JSONRenderer().render(data, "application/json; indent=2")
    assert b"\n" in rendered


def test_api_views_render_with_it():
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_RENDERER_CLASSES == [FastJSONRenderer]
