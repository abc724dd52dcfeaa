"""Agreement pages: overview with the consent progress, proposal detail with the
representative's buttons, the proposal form, history and its exports, documents, access."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from regie.agreement import services
from regie.agreement.choices import ProposalStatus
from regie.agreement.models import ChangeProposal, Consent

pytestmark = pytest.mark.django_db


def test_overview_shows_the_current_version_term_and_the_progress(client_for, open_proposal, representatives, lead,
                                                                  django_assert_max_num_queries):
    for representative in representatives[:2]:
        services.consent(representative, open_proposal)
    client = client_for(lead)
    with django_assert_max_num_queries(20):
        response = client.get("/agreement/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Dienstverleningsovereenkomst ICT NML" in body and "Version 1" in body
    assert "2 of 4 consents" in body and 'value="2" max="4"' in body
    assert "Rep Weert (Gemeente Weert)" in body and "Rep Nederweert (Gemeente Nederweert)" in body
    assert 'href="/agreement/"' in body  # the menu entry


def test_a_representative_sees_other_participants_unnamed(client_for, open_proposal, representatives):
    services.consent(representatives[1], open_proposal)
    body = client_for(representatives[0]).get("/agreement/").content.decode()
    assert "1 of 4 consents" in body
    assert "Gemeente Roermond" not in body and "Gemeente Weert" not in body
    assert "Rep Venlo (Gemeente Venlo)" in body and "another participant" in body


@pytest.mark.parametrize("path", ["/agreement/", "/agreement/history/", "/agreement/proposals/new/"])
def test_employees_without_the_permission_get_404(client_for, path, participants, make_user, open_proposal):
    client = client_for(make_user(participants[0], "employee"))
    assert client.get(path).status_code == 404
    assert client.get(f"/agreement/proposals/{open_proposal.pk}/").status_code == 404
    assert "/agreement/" not in client_for(make_user(participants[0], "employee")).get("/").content.decode()


def test_the_representative_consents_from_the_proposal_page(client_for, open_proposal, representatives):
    client = client_for(representatives[0])
    page = client.get(f"/agreement/proposals/{open_proposal.pk}/").content.decode()
    assert "Consent" in page and "Decline" in page
    response = client.post(f"/agreement/proposals/{open_proposal.pk}/consent/", follow=True)
    assert "Your consent is recorded." in response.content.decode()
    assert "1 of 4 consents" in response.content.decode()
    assert Consent.objects.unrestricted().filter(person=representatives[0]).count() == 1
    # Consenting twice: refused with the reason, nothing written.
    response = client.post(f"/agreement/proposals/{open_proposal.pk}/consent/", follow=True)
    assert "already consented" in response.content.decode()
    assert Consent.objects.unrestricted().count() == 1


def test_a_non_representative_is_refused_with_the_reason(client_for, open_proposal, participants, make_user):
    client = client_for(make_user(participants[0], "account_manager"))
    page = client.get(f"/agreement/proposals/{open_proposal.pk}/").content.decode()
    assert "proposal-consent" not in page and f"/proposals/{open_proposal.pk}/consent/" not in page
    response = client.post(f"/agreement/proposals/{open_proposal.pk}/consent/", follow=True)
    assert "Only the representative of a participating organisation" in response.content.decode()
    assert Consent.objects.unrestricted().count() == 0


def test_declining_without_a_reason_shows_the_field_error(client_for, open_proposal, representatives):
    client = client_for(representatives[0])
    response = client.post(f"/agreement/proposals/{open_proposal.pk}/decline/", {"reason": " "})
    assert response.status_code == 400
    assert "Give the reason for declining." in response.content.decode()
    assert Consent.objects.unrestricted().count() == 0
    response = client.post(f"/agreement/proposals/{open_proposal.pk}/decline/", {"reason": "Te duur"}, follow=True)
    assert "it is rejected" in response.content.decode()
    open_proposal.refresh_from_db()
    assert open_proposal.status == ProposalStatus.REJECTED


def test_provider_staff_propose_and_open_a_change(client_for, version1, lead, representatives):
    client = client_for(lead)
    assert client.get("/agreement/proposals/new/").status_code == 200
    response = client.post("/agreement/proposals/new/", {"title": "", "changes": "", "reason": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    response = client.post("/agreement/proposals/new/", {
        "title": "Certificaatbeheer", "changes": "Nieuwe §4.7.6", "reason": "Verlopen certificaten",
        "proposed_text": "<script>alert(1)</script>",
    })
    proposal = ChangeProposal.objects.unrestricted().get()
    assert response.status_code == 302 and response["Location"] == f"/agreement/proposals/{proposal.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    response = client.post(f"/agreement/proposals/{proposal.pk}/open/", follow=True)
    assert "open for consent" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.OPEN


def test_others_cannot_open_withdraw_upload_or_sign(client_for, open_proposal, representatives, version1):
    client = client_for(representatives[1])
    assert client.post(f"/agreement/proposals/{open_proposal.pk}/withdraw/").status_code == 404
    assert client.post(f"/agreement/versions/{version1.pk}/document/upload/").status_code == 404
    signatory = version1.signatories.first()
    assert client.post(f"/agreement/signatories/{signatory.pk}/sign/").status_code == 404
    assert client.get("/agreement/proposals/new/").status_code == 200  # a representative may propose


def test_history_page_and_its_csv_and_excel_exports(client_for, open_proposal, representatives, lead,
                                                   django_assert_max_num_queries):
    services.consent(representatives[0], open_proposal)
    services.decline(representatives[1], open_proposal, "=HYPERLINK(evil)")
    client = client_for(lead)
    with django_assert_max_num_queries(15):  # incl. the navbar's waiting-approvals badge
        response = client.get("/agreement/history/")
    body = response.content.decode()
    assert "Gemeente Venlo: consented" in body and "Gemeente Roermond: declined" in body
    csv_response = client.get("/agreement/history/?export=csv")
    text = b"".join(csv_response.streaming_content).decode()
    assert csv_response["Content-Type"].startswith("text/csv")
    assert "Gemeente Roermond" in text and "'=HYPERLINK(evil)" in text
    xlsx = client.get("/agreement/history/?export=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0][0] == "Record" and [row[0] for row in rows[1:]] == ["Version", "Proposal", "Decision", "Decision"]


def test_the_document_is_uploaded_and_downloaded_as_a_pdf_with_nosniff(client_for, version1, ict_manager,
                                                                       representatives, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(ict_manager)
    refused = client.post(f"/agreement/versions/{version1.pk}/document/upload/",
                          {"document": SimpleUploadedFile("dvo.pdf", b"GIF89a not a pdf")}, follow=True)
    assert "only a PDF document" in refused.content.decode()
    client.post(f"/agreement/versions/{version1.pk}/document/upload/",
                {"document": SimpleUploadedFile("dvo.pdf", b"%PDF-1.4\n%%EOF\n")})
    response = client_for(representatives[0]).get(f"/agreement/versions/{version1.pk}/document/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"%PDF-1.4\n%%EOF\n"


def test_version_page_and_recording_a_signature(client_for, open_proposal, representatives, ict_manager):
    for representative in representatives:
        services.consent(representative, open_proposal)
    version = services.current_version(open_proposal.agreement)
    client = client_for(ict_manager)
    page = client.get(f"/agreement/versions/{version.pk}/").content.decode()
    assert "current" in page and "not yet signed" in page and "Tekst versie 2" in page
    provider_signature = version.signatories.get(signed=False)
    response = client.post(f"/agreement/signatories/{provider_signature.pk}/sign/", {"signed_on": ""}, follow=True)
    assert "is recorded" in response.content.decode()
    provider_signature.refresh_from_db()
    assert provider_signature.signed


def test_drafts_show_on_the_overview_only_to_provider_proposers_and_their_proposer(client_for, version1, lead,
                                                                                    representatives):
    services.propose(representatives[0], version1.agreement, {"title": "Concept Venlo", "changes": "C",
                                                              "reason": "R"})
    assert "Concept Venlo" in client_for(lead).get("/agreement/").content.decode()
    assert "Concept Venlo" in client_for(representatives[0]).get("/agreement/").content.decode()
    assert "Concept Venlo" not in client_for(representatives[1]).get("/agreement/").content.decode()
