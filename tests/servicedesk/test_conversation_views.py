"""The conversation on the call page: reply form (without JavaScript), timeline,
attachment download with its headers and scope check, merge/link/rating forms, the
edit-conflict message, and a fixed number of queries however long the conversation."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regie.servicedesk import conversation, services
from regie.servicedesk.choices import ResolutionCode, TicketStatus
from regie.servicedesk.factories import TicketFactory
from regie.servicedesk.models import (
    Attachment,
    MessageKind,
    SatisfactionRating,
    Ticket,
    TicketMerge,
    TicketMessage,
    TicketTransfer,
)

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.7\n%%EOF\n"




def detail(ticket):
    return reverse("servicedesk:ticket-detail", args=[ticket.reference])


def reply_url(ticket):
    return reverse("servicedesk:ticket-reply", args=[ticket.reference])


def download_url(attachment):
    return reverse("servicedesk:attachment-download", args=[attachment.ticket.reference, attachment.pk])


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="text/html")


# --- replying from the page ----------------------------------------------------------------


def test_reply_form_posts_without_javascript(ticket, caller, client_for):
    client = client_for(caller)
    page = client.get(detail(ticket))
    assert page.status_code == 200
    assert f'action="{reply_url(ticket)}"' in page.content.decode()
    assert 'enctype="multipart/form-data"' in page.content.decode()
    assert 'name="internal"' not in page.content.decode()  # participants cannot write notes
    response = client.post(reply_url(ticket), {"body": "Het scherm blijft zwart", "files": [
        SimpleUploadedFile("scan.pdf", PDF_BYTES)]})
    assert response.status_code == 302
    assert response["Location"].endswith(f"{detail(ticket)}#timeline")
    message = TicketMessage.objects.for_user(caller).get()
    assert message.kind == MessageKind.PUBLIC and message.author == caller
    assert Attachment.objects.for_user(caller).get().original_name == "scan.pdf"
    page = client.get(detail(ticket)).content.decode()
    assert "Het scherm blijft zwart" in page and "scan.pdf" in page


def test_agent_writes_internal_note_from_the_page(ticket, agent, client_for):
    client = client_for(agent)
    assert 'name="internal"' in client.get(detail(ticket)).content.decode()
    response = client.post(reply_url(ticket), {"body": "Bekende storing", "internal": "on"})
    assert response.status_code == 302
    assert TicketMessage.objects.unrestricted().get().kind == MessageKind.INTERNAL


def test_participant_posting_internal_flag_still_writes_a_public_reply(ticket, caller, client_for):
    # The field does not exist for them: the flag is ignored rather than honoured.
    client_for(caller).post(reply_url(ticket), {"body": "hallo", "internal": "on"})
    assert TicketMessage.objects.unrestricted().get().kind == MessageKind.PUBLIC


def test_refused_attachment_re_renders_the_page_with_the_reason(ticket, caller, client_for):
    response = client_for(caller).post(reply_url(ticket), {
        "body": "mijn tekst blijft staan", "files": [upload("pagina.html", b"<html><script>x</script></html>")]})
    assert response.status_code == 400
    page = response.content.decode()
    assert "pagina.html" in page and "not accepted" in page
    assert "mijn tekst blijft staan" in page
    assert not TicketMessage.objects.unrestricted().exists()


def test_reply_to_another_municipalitys_call_is_404(ticket, roermond, make_user, client_for):
    outsider = make_user(roermond, "account_manager")
    response = client_for(outsider).post(reply_url(ticket), {"body": "hallo"})
    assert response.status_code == 404
    assert not TicketMessage.objects.unrestricted().exists()


def test_reply_on_closed_call_is_refused(ticket, caller, client_for):
    Ticket.all_objects.filter(pk=ticket.pk).update(status=TicketStatus.CLOSED)
    client = client_for(caller)
    assert f'action="{reply_url(ticket)}"' not in client.get(detail(ticket)).content.decode()
    response = client.post(reply_url(ticket), {"body": "nog iets"})
    assert response.status_code == 400
    assert "closed" in response.content.decode()
    assert not TicketMessage.objects.unrestricted().exists()


def test_canned_response_fills_the_reply(ticket, agent, client_for):
    from regie.servicedesk.models import CannedResponse

    canned = CannedResponse.objects.create(title="Herstart", body="Wilt u de computer herstarten?")
    client = client_for(agent)
    assert "Herstart" in client.get(detail(ticket)).content.decode()
    client.post(reply_url(ticket), {"body": "", "canned": canned.pk})
    assert "Wilt u de computer herstarten?" in TicketMessage.objects.unrestricted().get().body_html


def test_xss_in_bodies_and_filenames_never_reaches_the_page(ticket, caller, agent, client_for):
    client = client_for(caller)
    client.post(reply_url(ticket), {
        "body": '<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">x</a>',
        "files": [SimpleUploadedFile('"><svg onload=alert(4)>.txt', b"tekst")],
    })
    assert TicketMessage.objects.unrestricted().count() == 1
    for viewer in (caller, agent):
        page = client_for(viewer).get(detail(ticket)).content.decode()
        timeline = page[page.index('id="timeline"'):]
        assert "<script>alert" not in timeline
        assert "onerror=" not in timeline and "<svg" not in timeline and "javascript:" not in timeline
        assert "&lt;svg onload=alert(4)&gt;.txt" in timeline


# --- internal notes are hidden everywhere ----------------------------------------------------


def test_participants_never_see_internal_notes(ticket, caller, agent, venlo, make_user, client_for):
    conversation.add_message(agent, ticket, "Publiek antwoord")
    note = conversation.add_message(agent, ticket, "GEHEIME NOTITIE", internal=True, files=[
        SimpleUploadedFile("geheim-log.txt", b"wachtwoord")])
    attachment = Attachment.objects.unrestricted().get(message=note)
    for participant in (caller, make_user(venlo, "account_manager")):
        client = client_for(participant)
        page = client.get(detail(ticket)).content.decode()
        assert "Publiek antwoord" in page
        assert "GEHEIME NOTITIE" not in page and "geheim-log.txt" not in page
        assert client.get(download_url(attachment)).status_code == 404
    staff_page = client_for(agent).get(detail(ticket)).content.decode()
    assert "GEHEIME NOTITIE" in staff_page and "border-warning" in staff_page
    assert client_for(agent).get(download_url(attachment)).status_code == 200


# --- downloads -------------------------------------------------------------------------------


def test_download_headers(ticket, caller, client_for):
    message = conversation.add_message(caller, ticket, "bijlagen", files=[
        SimpleUploadedFile("scan.pdf", PDF_BYTES),
        SimpleUploadedFile("notities.txt", b"gewone tekst"),
        SimpleUploadedFile("mail.msg", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16),
    ])
    attachments = {a.original_name: a for a in Attachment.objects.unrestricted().filter(message=message)}
    client = client_for(caller)
    expected = {"scan.pdf": "application/pdf", "notities.txt": "text/plain; charset=utf-8",
                "mail.msg": "application/octet-stream"}
    for name, content_type in expected.items():
        response = client.get(download_url(attachments[name]))
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == f'attachment; filename="{name}"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
    body = b"".join(client.get(download_url(attachments["scan.pdf"])).streaming_content)
    assert body == PDF_BYTES


def test_download_filename_header_cannot_be_broken(ticket, caller, client_for):
    message = conversation.add_message(caller, ticket, "x", files=[
        SimpleUploadedFile('evil"\r\nSet-Cookie: a=b; ü.txt', b"tekst")])
    response = client_for(caller).get(download_url(Attachment.objects.unrestricted().get(message=message)))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\r" not in disposition and "\n" not in disposition
    assert "Set-Cookie" not in response.cookies


def test_download_is_scoped_like_the_call(ticket, caller, venlo, roermond, make_user, client_for):
    message = conversation.add_message(caller, ticket, "x", files=[SimpleUploadedFile("a.pdf", PDF_BYTES)])
    attachment = Attachment.objects.unrestricted().get(message=message)
    assert client_for(make_user(roermond, "account_manager")).get(download_url(attachment)).status_code == 404
    assert client_for(make_user(venlo, "employee")).get(download_url(attachment)).status_code == 404
    assert client_for(make_user(venlo, "account_manager")).get(download_url(attachment)).status_code == 200
    # The attachment id under another call's reference (one the user can see) is 404 too.
    own_other = TicketFactory(requester=caller)
    url = reverse("servicedesk:attachment-download", args=[own_other.reference, attachment.pk])
    assert client_for(caller).get(url).status_code == 404
    # Signed out: to the sign-in page, no file.
    from django.test import Client

    assert Client().get(download_url(attachment)).status_code == 302


def test_media_files_are_not_served_directly(ticket, caller, client_for):
    message = conversation.add_message(caller, ticket, "x", files=[SimpleUploadedFile("a.pdf", PDF_BYTES)])
    attachment = Attachment.objects.unrestricted().get(message=message)
    client = client_for(caller)
    for prefix in ("/media/", "/files/", "/"):
        assert client.get(prefix + attachment.storage_name).status_code == 404


# --- merge, children, rating -----------------------------------------------------------------


def test_merge_from_the_page(ticket, caller, agent, client_for):
    original = TicketFactory(requester=caller)
    client = client_for(agent)
    assert reverse("servicedesk:ticket-merge", args=[ticket.reference]) in client.get(detail(ticket)).content.decode()
    response = client.post(reverse("servicedesk:ticket-merge", args=[ticket.reference]), {"into": original.reference})
    assert response.status_code == 302
    assert TicketMerge.objects.get(duplicate=ticket).into == original
    ticket.refresh_from_db()
    assert ticket.resolution_code == ResolutionCode.DUPLICATE
    page = client_for(caller).get(detail(ticket)).content.decode()
    assert "merged into" in page and original.reference in page
    assert f'action="{reply_url(ticket)}"' not in page
    response = client_for(caller).post(reply_url(ticket), {"body": "nog iets"})
    assert response.status_code == 400 and "merged" in response.content.decode()


def test_merge_refusals_from_the_page(ticket, caller, agent, roermond, make_user, client_for):
    other = TicketFactory(requester=make_user(roermond, "employee"))
    url = reverse("servicedesk:ticket-merge", args=[ticket.reference])
    response = client_for(agent).post(url, {"into": other.reference})
    assert response.status_code == 400 and "same organisation" in response.content.decode()
    response = client_for(agent).post(url, {"into": "VNL-1999-999999"})
    assert response.status_code == 400
    assert client_for(caller).post(url, {"into": TicketFactory(requester=caller).reference}).status_code == 403
    assert not TicketMerge.objects.exists()


def test_link_child_from_the_page(ticket, caller, agent, client_for):
    child = TicketFactory(requester=caller)
    client = client_for(agent)
    response = client.post(reverse("servicedesk:ticket-link-child", args=[ticket.reference]),
                           {"child": child.reference.lower()})
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.parent_id == ticket.pk
    assert child.reference in client.get(detail(ticket)).content.decode()
    assert ticket.reference in client.get(detail(child)).content.decode()
    client.post(reverse("servicedesk:ticket-unlink-child", args=[ticket.reference, child.reference]))
    child.refresh_from_db()
    assert child.parent_id is None
    assert client_for(caller).post(
        reverse("servicedesk:ticket-link-child", args=[ticket.reference]), {"child": child.reference}
    ).status_code == 403


def test_rating_form_for_the_requester_only(ticket, caller, agent, venlo, make_user, client_for):
    url = reverse("servicedesk:ticket-rating", args=[ticket.reference])
    assert url not in client_for(caller).get(detail(ticket)).content.decode()  # not resolved yet
    assert client_for(caller).post(url, {"score": 5}).status_code == 400
    services.update_ticket(agent, ticket, {
        "status": TicketStatus.RESOLVED, "resolution_code": ResolutionCode.SOLVED, "resolution_text": "klaar"})
    assert url in client_for(caller).get(detail(ticket)).content.decode()
    assert url not in client_for(agent).get(detail(ticket)).content.decode()
    assert client_for(make_user(venlo, "account_manager")).post(url, {"score": 1}).status_code == 400
    assert client_for(caller).post(url, {"score": 9}).status_code == 400
    assert client_for(caller).post(url, {"score": 4, "comment": "prima"}).status_code == 302
    assert client_for(caller).post(url, {"score": 1}).status_code == 400
    assert SatisfactionRating.objects.get(ticket=ticket).score == 4
    assert url not in client_for(caller).get(detail(ticket)).content.decode()


# --- the timeline ----------------------------------------------------------------------------


def test_timeline_shows_messages_status_changes_and_transfers_in_time_order(ticket, caller, agent, client_for):
    from regie.core.factories import TeamFactory

    conversation.add_message(caller, ticket, "EERSTE BERICHT")
    ticket = services.update_ticket(agent, ticket, {"status": TicketStatus.WAITING_FOR_CALLER})
    TicketTransfer.objects.create(ticket=ticket, to_team=TeamFactory(name="Werkplekbeheer"), note="OVERDRACHTNOTITIE",
                                  transferred_by=agent)
    conversation.add_message(agent, ticket, "LAATSTE BERICHT")
    timeline = timeline_section(client_for(agent).get(detail(ticket)).content.decode())
    positions = [timeline.index(text) for text in (
        "EERSTE BERICHT", "waiting for caller", "Werkplekbeheer", "LAATSTE BERICHT")]
    assert positions == sorted(positions)
    assert "OVERDRACHTNOTITIE" in timeline
    participant_page = client_for(caller).get(detail(ticket)).content.decode()
    participant_timeline = timeline_section(participant_page)
    assert "Werkplekbeheer" in participant_timeline and "OVERDRACHTNOTITIE" not in participant_timeline


def timeline_section(page):
    start = page.index('id="timeline"')
    return page[start:page.index("</section>", start)]


def _page_queries(client, ticket):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(detail(ticket)).status_code == 200
    return len(queries)


def test_detail_page_with_30_messages_has_no_n_plus_1(ticket, caller, agent, client_for,
                                                      django_assert_max_num_queries):
    for viewer in (agent, caller):
        TicketMessage.objects.unrestricted().filter(ticket=ticket).delete()
        client = client_for(viewer)
        conversation.add_message(agent, ticket, "een", files=[SimpleUploadedFile("a.txt", b"a")])
        client.get(detail(ticket))  # warm up session and content-type caches
        with_one = _page_queries(client, ticket)
        for n in range(29):
            author = agent if n % 2 else caller
            conversation.add_message(author, ticket, f"bericht {n}", internal=bool(n % 3 == 0 and author == agent),
                                     files=[SimpleUploadedFile(f"{n}.txt", b"x")])
        with django_assert_max_num_queries(30):
            response = client.get(detail(ticket))
        assert response.status_code == 200
        assert _page_queries(client, ticket) == with_one


# --- two agents saving the same call ---------------------------------------------------------


def test_second_agent_saving_a_stale_form_gets_a_conflict_message(ticket, provider, make_user, client_for):
    first, second = make_user(provider, "first_line"), make_user(provider, "engineer")
    url = reverse("servicedesk:ticket-update", args=[ticket.reference])
    form_a = client_for(first).get(url).context["form"]
    form_b = client_for(second).get(url).context["form"]

    def post_data(form, **changes):
        data = {name: ("" if value is None else getattr(value, "pk", value)) for name, value in form.initial.items()
                if name in form.fields}
        data.update(changes)
        return {k: v for k, v in data.items() if v is not False}

    response = client_for(first).post(url, post_data(form_a, title="Titel van agent A"))
    assert response.status_code == 302
    response = client_for(second).post(url, post_data(form_b, priority_reason="", title="Titel van agent B"))
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this call in the meantime" in page
    assert re.search(r'role="alert"', page)
    ticket.refresh_from_db()
    assert ticket.title == "Titel van agent A"
