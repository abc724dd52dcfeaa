"""The catalogue of standard changes: everyone who sees changes reads it; the change advisory
board keeps it (create, edit, retire); bad input gets field errors and writes nothing."""

import pytest
from django.urls import reverse

from regie.changes.factories import StandardChangeTemplateFactory
from regie.changes.models import StandardChangeTemplate
from regie.core.models import AuditRecord

pytestmark = pytest.mark.django_db

VALID = {"name": "Certificaat vernieuwen", "code": "certificaat-vernieuwen", "risk": "low",
         "description": "Een verlopend servercertificaat vervangen.",
         "implementation_steps": "1. Nieuw certificaat installeren\n2. Binding wijzigen",
         "rollback_plan": "Oude binding terugzetten.", "is_active": "on"}


def test_board_member_creates_a_template_audited(client_for, lead):
    response = client_for(lead).post(reverse("changes:template-create"), VALID)
    assert response.status_code == 302 and response["Location"] == reverse("changes:template-list")
    template = StandardChangeTemplate.objects.get(code="certificaat-vernieuwen")
    assert template.is_active and template.risk == "low"
    assert AuditRecord.objects.unrestricted().filter(object_id=str(template.pk),
                                                    content_type__model="standardchangetemplate").exists()


@pytest.mark.parametrize("field, value, message", [
    ("rollback_plan", "", "rollback plan"),
    ("implementation_steps", "  ", "steps"),
    ("code", "niet geldig!", "slug"),
    ("name", "", "required"),
])
def test_bad_input_is_refused_per_field_and_nothing_written(client_for, lead, field, value, message):
    response = client_for(lead).post(reverse("changes:template-create"), {**VALID, field: value})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]).lower()
    assert not StandardChangeTemplate.objects.filter(name=VALID["name"]).exists()


def test_duplicate_code_is_a_field_error(client_for, lead):
    StandardChangeTemplateFactory(code="certificaat-vernieuwen")
    response = client_for(lead).post(reverse("changes:template-create"), VALID)
    assert response.status_code == 400 and "code" in response.context["form"].errors


def test_retiring_hides_it_from_the_list_and_the_change_form(client_for, lead, engineer):
    template = StandardChangeTemplateFactory(name="Printerdriver uitrollen", code="printerdriver-uitrollen")
    client = client_for(lead)
    data = {**VALID, "name": template.name, "code": template.code}
    data.pop("is_active")
    assert client.post(reverse("changes:template-update", args=[template.pk]), data).status_code == 302
    template.refresh_from_db()
    assert not template.is_active
    client.get(reverse("changes:template-list"))  # shows (and so clears) the "saved" message
    listing = client.get(reverse("changes:template-list")).content.decode()
    assert "Printerdriver uitrollen" not in listing
    assert "Printerdriver uitrollen" in client.get(reverse("changes:template-list") + "?inactive=1").content.decode()
    form = client_for(engineer).get(reverse("changes:create")).context["form"]
    assert template not in form.fields["template"].queryset


def test_others_read_but_do_not_keep(client_for, engineer, venlo_reader):
    StandardChangeTemplateFactory(name="Antivirus-signaturen", code="antivirus-signaturen")
    for user in (engineer, venlo_reader):
        client = client_for(user)
        page = client.get(reverse("changes:template-list"))
        assert page.status_code == 200 and "Antivirus-signaturen" in page.content.decode()
        assert reverse("changes:template-create") not in page.content.decode()
        assert client.get(reverse("changes:template-create")).status_code == 404
        assert client.post(reverse("changes:template-create"), VALID).status_code == 404
    assert not StandardChangeTemplate.objects.filter(code=VALID["code"]).exists()


def test_list_query_count_does_not_grow(client_for, lead, django_assert_max_num_queries):
    client = client_for(lead)
    for index in range(15):
        StandardChangeTemplateFactory(name=f"Standaard {index}", code=f"standaard-{index}")
    client.get(reverse("changes:template-list"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("changes:template-list")).status_code == 200
