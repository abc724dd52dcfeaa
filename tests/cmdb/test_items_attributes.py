"""Type-specific attributes are declared per type and validated, never free text:
services.validate_attributes for every kind, and the declarations themselves."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from regie.cmdb import services
from regie.cmdb.factories import ItemTypeFactory

pytestmark = pytest.mark.django_db

SCHEMA = [
    {"code": "name_tag", "label": "Tag", "kind": "text", "required": False, "min": 2, "max": 5},
    {"code": "cores", "label": "Cores", "kind": "integer", "required": True, "min": 1, "max": 256},
    {"code": "capacity", "label": "Capacity (TB)", "kind": "decimal", "required": False, "min": 0, "max": 1000},
    {"code": "expires_on", "label": "Expires", "kind": "date", "required": False},
    {"code": "encrypted", "label": "Encrypted", "kind": "boolean", "required": False},
    {"code": "os", "label": "OS", "kind": "choice", "required": False, "choices": ["Linux", "Windows"]},
]


@pytest.fixture
def kind():
    return ItemTypeFactory(code="test-kinds", attribute_schema=SCHEMA)


def errors(ci_type, data):
    with pytest.raises(ValidationError) as excinfo:
        services.validate_attributes(ci_type, data)
    return excinfo.value.message_dict


def test_every_kind_is_typed(kind):
    cleaned = services.validate_attributes(kind, {
        "name_tag": " ab ", "cores": "8", "capacity": "12,5", "expires_on": "31-12-2027", "encrypted": "ja",
        "os": "linux",
    })
    assert cleaned == {"name_tag": "ab", "cores": 8, "capacity": 12.5, "expires_on": "2027-12-31", "encrypted": True,
                       "os": "Linux"}
    assert services.validate_attributes(kind, {"cores": 4, "capacity": 3, "expires_on": datetime.date(2026, 1, 2),
                                               "encrypted": False}) == {
        "cores": 4, "capacity": 3, "expires_on": "2026-01-02", "encrypted": False}


def test_empty_values_are_left_out_but_required_ones_are_refused(kind):
    assert services.validate_attributes(kind, {"cores": 2, "os": "", "capacity": None}) == {"cores": 2}
    assert errors(kind, {}) == {"cores": ["Cores is required."]}
    assert errors(kind, {"cores": "  "}) == {"cores": ["Cores is required."]}


@pytest.mark.parametrize(("data", "code", "message"), [
    ({"cores": "eight"}, "cores", "Enter a whole number."),
    ({"cores": "2.5"}, "cores", "Enter a whole number."),
    ({"cores": True}, "cores", "Enter a whole number."),
    ({"cores": 0}, "cores", "At least 1."),
    ({"cores": 257}, "cores", "At most 256."),
    ({"cores": 1, "capacity": "lots"}, "capacity", "Enter a number."),
    ({"cores": 1, "capacity": "NaN"}, "capacity", "Enter a number."),
    ({"cores": 1, "capacity": -1}, "capacity", "At least 0."),
    ({"cores": 1, "expires_on": "2027-02-30"}, "expires_on", "Enter a valid date (YYYY-MM-DD)."),
    ({"cores": 1, "expires_on": "next year"}, "expires_on", "Enter a valid date (YYYY-MM-DD)."),
    ({"cores": 1, "encrypted": "maybe"}, "encrypted", "Enter yes or no."),
    ({"cores": 1, "os": "BeOS"}, "os", "“BeOS” is not one of: Linux, Windows."),
    ({"cores": 1, "name_tag": "abcdef"}, "name_tag", "At most 5 characters."),
    ({"cores": 1, "name_tag": "a"}, "name_tag", "At least 2 characters."),
    ({"cores": 1, "name_tag": ["a", "b"]}, "name_tag", "Enter text."),
])
def test_wrong_values_are_refused_per_attribute(kind, data, code, message):
    assert errors(kind, data) == {code: [message]}


def test_unknown_attributes_are_refused(kind):
    found = errors(kind, {"cores": 2, "colour": "red"})
    assert list(found) == ["colour"]
    assert "has no attribute “colour”" in found["colour"][0]
    with pytest.raises(ValidationError):
        services.validate_attributes(kind, ["cores", 2])


def test_seeded_types_validate_their_attributes():
    token = ItemTypeFactory(code="rsa-token")
    assert errors(token, {"token_serial": "000123", "expires_on": "2027-01-01"}) == {
        "token_kind": ["Soort is required."]}
    app = ItemTypeFactory(code="applicatie")
    assert services.validate_attributes(app, {"streaming_suitable": "JA"}) == {"streaming_suitable": "ja"}


def test_schema_declarations_are_checked():
    assert services.validate_schema(SCHEMA) == SCHEMA
    with pytest.raises(ValidationError) as excinfo:
        services.validate_schema([
            {"code": "Bad Code", "label": "x", "kind": "text"},
            {"code": "a", "label": "", "kind": "colour"},
            {"code": "a", "label": "dup", "kind": "choice"},
            {"code": "b", "label": "b", "kind": "integer", "min": 5, "max": 1, "extra": 1},
            {"code": "c", "label": "c", "kind": "date", "min": 1},
            {"code": "d", "label": "d", "kind": "text", "choices": ["x"], "required": "yes"},
            "not an object",
        ])
    problems = " | ".join(excinfo.value.message_dict["attribute_schema"])
    for expected in ("lower-case letters", "give a label", "the kind must be one of", "is used twice",
                     "a choice needs a list of choices", "unknown keys extra", "min is larger than max",
                     "apply to numbers and text only", "only a choice has choices", "“required” is true or false",
                     "not an object"):
        assert expected in problems
    with pytest.raises(ValidationError):
        services.validate_schema({"code": "a"})
