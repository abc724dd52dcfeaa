"""Attachments through the API (/api/v1/tickets/{reference}/attachments) with the rules of
the call page (conversation.py: limits, type by content and name, malware hook, server-made
names), downloads only after the call's access check and always as a download with nosniff;
the canned-responses list; and optimistic concurrency on a call (ETag / If-Match)."""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from regie.api.models import ApiToken
from regie.core.factories import TeamFactory
from regie.servicedesk.factories import CannedResponseFactory, TicketFactory
from regie.servicedesk.models import Attachment, MessageKind, ScanStatus, TicketMessage

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def eicar_scanner(path):
    return (False, "Eicar-Test-Signature") if EICAR in Path(path).read_bytes() else (True, "OK")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REGIE_ATTACHMENT_SCANNER = ""
    return settings.MEDIA_ROOT


def stored_files(media_root):
    return [p for p in Path(media_root).rglob("*") if p.is_file()]


def bearer_client(user):
    _token, raw = ApiToken.issue(user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.cookies["django_language"] = "en"
    return client


def problem(response, status):
    assert response.status_code == status, response.content[:600]
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


def url(ticket, suffix="attachments"):
    return f"/api/v1/tickets/{ticket.reference}/{suffix}"


def upload(client, ticket, *files, **fields):
    data = {"files": [SimpleUploadedFile(name, content) for name, content in files], **fields}
    return client.post(url(ticket), data)  # multipart/form-data


@pytest.fixture
def people(provider, venlo, roermond, make_user):
    return {
        "caller": make_user(venlo, "employee", username="venlo.melder"),
        "account_manager": make_user(venlo, "account_manager", username="venlo.am"),
        "roermond": make_user(roermond, "account_manager", username="roermond.am"),
        "agent": make_user(provider, "first_line", username="helpdesk"),
    }


@pytest.fixture
def ticket(people):
    return TicketFactory(requester=people["caller"], title="Printer stuk")


# --- upload -------------------------------------------------------------------------------------


def test_caller_uploads_files_with_a_message(people, ticket, media_root):
    response = upload(bearer_client(people["caller"]), ticket, ("foto.png", PNG), ("../../etc/scan.pdf", PDF),
                      body="Zie bijlagen")
    assert response.status_code == 201, response.content[:600]
    body = response.json()
    assert "Zie bijlagen" in body["message"]["body"]
    assert [a["name"] for a in body["attachments"]] == ["foto.png", "scan.pdf"]
    assert [a["contentType"] for a in body["attachments"]] == ["image/png", "application/pdf"]
    stored = Attachment.objects.unrestricted().filter(ticket=ticket).order_by("id")
    assert [a.message_id for a in stored] == [body["message"]["id"]] * 2
    for attachment in stored:
        assert attachment.storage_name.startswith("attachments/")
        assert attachment.original_name not in attachment.storage_name
    assert len(stored_files(media_root)) == 2
    assert body["attachments"][0]["download"].endswith(f"{url(ticket)}/{stored[0].pk}")


def test_files_without_a_message_are_fine(people, ticket):
    response = upload(bearer_client(people["agent"]), ticket, ("log.txt", b"regel 1\nregel 2\n"))
    assert response.status_code == 201, response.content[:600]
    assert response.json()["attachments"][0]["size"] == len(b"regel 1\nregel 2\n")


@pytest.mark.parametrize(("files", "reason"), [
    ([("nep.pdf", b"<html><script>alert(1)</script></html>")], "is not a real .pdf file"),
    ([("script.exe", b"MZ\x90\x00")], "is not accepted: only"),
    ([("leeg.txt", b"")], "is empty"),
    ([("pagina.txt", b"<!doctype html><script>x</script>")], "is not a real .txt file"),
])
def test_refused_files_name_the_field_and_nothing_is_written(people, ticket, media_root, files, reason):
    response = upload(bearer_client(people["caller"]), ticket, ("goed.png", PNG), *files, body="Hier")
    body = problem(response, 400)
    reasons = [p["reason"] for p in body["invalidParams"] if p["name"] == "files"]
    assert reasons and reason in " ".join(reasons)
    assert not TicketMessage.objects.unrestricted().exists()
    assert not Attachment.objects.unrestricted().exists()
    assert not stored_files(media_root)


def test_size_and_count_limits(settings, people, ticket, media_root):
    settings.REGIE_ATTACHMENT_MAX_BYTES = 1024
    settings.REGIE_ATTACHMENT_MAX_COUNT = 2
    client = bearer_client(people["caller"])
    body = problem(upload(client, ticket, ("groot.txt", b"a" * 1025)), 400)
    assert "is too large" in body["invalidParams"][0]["reason"]
    body = problem(upload(client, ticket, ("a.txt", b"a"), ("b.txt", b"b"), ("c.txt", b"c")), 400)
    assert body["invalidParams"][0]["name"] == "files" and "At most 2 files" in body["invalidParams"][0]["reason"]
    assert not Attachment.objects.unrestricted().exists() and not stored_files(media_root)


def test_malware_hook_refuses_and_fails_closed(settings, people, ticket, media_root):
    settings.REGIE_ATTACHMENT_SCANNER = f"{__name__}.eicar_scanner"
    client = bearer_client(people["caller"])
    body = problem(upload(client, ticket, ("eicar.txt", EICAR)), 400)
    assert "malware scan: Eicar-Test-Signature" in body["invalidParams"][0]["reason"]
    assert not Attachment.objects.unrestricted().exists() and not stored_files(media_root)
    response = upload(client, ticket, ("schoon.txt", b"schoon"))
    assert response.status_code == 201
    assert response.json()["attachments"][0]["scanStatus"] == ScanStatus.CLEAN


def test_bad_requests_are_4xx_problems(people, ticket):
    client = bearer_client(people["caller"])
    body = problem(client.post(url(ticket), {"body": "geen bestanden"}), 400)
    assert {p["name"] for p in body["invalidParams"]} == {"files"}
    body = problem(upload(client, ticket, ("a.txt", b"a"), organisation="2"), 400)
    assert {p["name"] for p in body["invalidParams"]} == {"organisation"}
    problem(client.post(url(ticket), json.dumps({"files": []}), content_type="application/json"), 415)
    # A caller may not write internal notes.
    problem(upload(client, ticket, ("a.txt", b"a"), internal="true"), 403)
    assert not TicketMessage.objects.unrestricted().exists()


def test_another_municipality_gets_404_and_nothing_is_written(people, ticket, media_root):
    client = bearer_client(people["roermond"])
    problem(upload(client, ticket, ("a.txt", b"a")), 404)
    problem(client.get(url(ticket)), 404)
    assert not stored_files(media_root)


# --- list and download ----------------------------------------------------------------------


def test_list_hides_internal_notes_files_from_the_participant(people, ticket, django_assert_max_num_queries):
    agent = bearer_client(people["agent"])
    assert upload(agent, ticket, ("openbaar.txt", b"openbaar")).status_code == 201
    assert upload(agent, ticket, ("intern.txt", b"intern"), internal="true").status_code == 201
    for n in range(5):
        assert upload(agent, ticket, (f"extra{n}.txt", b"x")).status_code == 201
    with django_assert_max_num_queries(12):
        response = agent.get(url(ticket))
    names = [a["name"] for a in response.json()["results"]]
    assert names[:2] == ["openbaar.txt", "intern.txt"] and len(names) == 7
    participant = bearer_client(people["account_manager"])
    names = [a["name"] for a in participant.get(url(ticket)).json()["results"]]
    assert "intern.txt" not in names and "openbaar.txt" in names
    internal = Attachment.objects.unrestricted().get(original_name="intern.txt")
    problem(participant.get(f"{url(ticket)}/{internal.pk}"), 404)
    assert agent.get(f"{url(ticket)}/{internal.pk}").status_code == 200


def test_download_is_always_a_download_with_nosniff(people, ticket):
    caller = bearer_client(people["caller"])
    created = upload(caller, ticket, ("rapport.pdf", PDF), ("notities.txt", b"hallo")).json()["attachments"]
    for attachment, expected_type in zip(created, ["application/pdf", "text/plain; charset=utf-8"], strict=True):
        response = caller.get(attachment["download"], HTTP_ACCEPT="application/pdf, */*")
        assert response.status_code == 200
        assert response["Content-Type"] == expected_type
        assert response["Content-Disposition"].startswith("attachment;")
        assert attachment["name"] in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(caller.get(created[0]["download"]).streaming_content) == PDF
    problem(bearer_client(people["roermond"]).get(created[0]["download"]), 404)
    problem(caller.get(f"{url(ticket)}/999999"), 404)
    other = TicketFactory(requester=people["caller"])
    problem(caller.get(f"{url(other)}/{created[0]['id']}"), 404)


# --- canned responses -------------------------------------------------------------------------


def test_canned_responses_for_agents_only(people, provider):
    team = TeamFactory(organisation=provider, name="Werkplek")
    team.members.add(people["agent"])
    CannedResponseFactory(title="Algemeen", body="<p>Hallo</p>")
    CannedResponseFactory(title="Werkplek", team=team)
    CannedResponseFactory(title="Netwerk", team=TeamFactory(organisation=provider, name="Netwerk"))
    CannedResponseFactory(title="Uit", is_active=False)
    response = bearer_client(people["agent"]).get("/api/v1/canned-responses")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["title"] for row in rows] == ["Algemeen", "Werkplek"]
    assert rows[0]["bodyHtml"] == "<p>Hallo</p>" and rows[1]["teamName"] == "Werkplek"
    assert bearer_client(people["account_manager"]).get("/api/v1/canned-responses").json()["results"] == []


# --- optimistic concurrency: ETag and If-Match ------------------------------------------------


def test_etag_and_if_match_refuse_a_stale_write(people, ticket):
    first, second = bearer_client(people["agent"]), bearer_client(people["caller"])
    tag = first.get(f"/api/v1/tickets/{ticket.reference}")["ETag"]
    assert tag == f'"{ticket.version}"'
    response = first.patch(f"/api/v1/tickets/{ticket.reference}", json.dumps({"title": "Eerste"}),
                           content_type="application/json", HTTP_IF_MATCH=tag)
    assert response.status_code == 200, response.content[:400]
    assert response["ETag"] == f'"{ticket.version + 1}"'
    response = second.patch(f"/api/v1/tickets/{ticket.reference}", json.dumps({"title": "Tweede"}),
                            content_type="application/json", HTTP_IF_MATCH=tag)
    assert problem(response, 412)["detail"]
    ticket.refresh_from_db()
    assert (ticket.title, ticket.version) == ("Eerste", 1 + int(tag.strip('"')))
    # W/ and lists are understood; "*" means any version.
    response = second.patch(f"/api/v1/tickets/{ticket.reference}", json.dumps({"title": "Derde"}),
                            content_type="application/json", HTTP_IF_MATCH=f'"0", W/"{ticket.version}"')
    assert response.status_code == 200
    response = second.patch(f"/api/v1/tickets/{ticket.reference}", json.dumps({"title": "Vierde"}),
                            content_type="application/json", HTTP_IF_MATCH="*")
    assert response.status_code == 200
    problem(second.patch(f"/api/v1/tickets/{ticket.reference}", json.dumps({"title": "Vijfde"}),
                         content_type="application/json", HTTP_IF_MATCH='"onzin"'), 412)
    ticket.refresh_from_db()
    assert ticket.title == "Vierde"


def test_the_message_kinds_are_kept(people, ticket):
    upload(bearer_client(people["agent"]), ticket, ("intern.txt", b"x"), internal="true")
    assert TicketMessage.objects.unrestricted().get().kind == MessageKind.INTERNAL
