"""Conversation rules (regie/servicedesk/conversation.py): who may write what, HTML
sanitising, attachment checks, the malware-scan hook, SLA effects of replies, merging,
parent/child links and satisfaction ratings."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from regie.servicedesk import conversation, services
from regie.servicedesk.choices import ResolutionCode, TicketStatus
from regie.servicedesk.factories import TicketFactory
from regie.servicedesk.models import (
    Attachment,
    MessageKind,
    SatisfactionRating,
    ScanStatus,
    Ticket,
    TicketMerge,
    TicketMessage,
    TicketPause,
)

pytestmark = pytest.mark.django_db

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def eicar_scanner(path):
    """A test scanner: flags the EICAR test string, like a real virus scanner would."""
    content = Path(path).read_bytes()
    if EICAR in content:
        return False, "Eicar-Test-Signature"
    return True, "OK"


def broken_scanner(path):
    raise ConnectionError("clamd is down")


# Files whose content matches their name.
PDF_BYTES = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 32
GIF_BYTES = b"GIF89a" + b"\x00" * 16
MSG_BYTES = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
EML_BYTES = b"Received: from mail.venlo.nl\r\nFrom: a@venlo.nl\r\nSubject: printer\r\n\r\nHallo\r\n"


def office_file(kind):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if kind == "odt":
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
            archive.writestr("content.xml", "<office:document-content/>")
        else:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
    return buffer.getvalue()


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")




# --- who may write ------------------------------------------------------------------------


def test_requester_replies_publicly_but_may_not_write_internal_notes(ticket, caller):
    message = conversation.add_message(caller, ticket, "Het werkt nog steeds niet")
    assert message.kind == MessageKind.PUBLIC
    with pytest.raises(PermissionDenied):
        conversation.add_message(caller, ticket, "stiekem", internal=True)
    assert TicketMessage.objects.unrestricted().filter(ticket=ticket).count() == 1


def test_agent_writes_both_kinds(ticket, agent):
    conversation.add_message(agent, ticket, "Wij kijken ernaar")
    conversation.add_message(agent, ticket, "Lijkt op de bekende storing", internal=True)
    kinds = sorted(TicketMessage.objects.unrestricted().filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == [MessageKind.INTERNAL, MessageKind.PUBLIC]


def test_colleague_without_sight_of_the_call_cannot_reply(ticket, venlo, make_user):
    colleague = make_user(venlo, "employee")
    with pytest.raises(Ticket.DoesNotExist):
        conversation.add_message(colleague, ticket, "ik ook")


def test_other_municipality_cannot_reply(ticket, roermond, make_user):
    outsider = make_user(roermond, "account_manager")
    with pytest.raises(Ticket.DoesNotExist):
        conversation.add_message(outsider, ticket, "hallo")


def test_manager_and_account_manager_reply_on_visible_calls(venlo, make_user):
    manager = make_user(venlo, "manager")
    employee = make_user(venlo, "employee", manager=manager)
    account_manager = make_user(venlo, "account_manager")
    call = TicketFactory(requester=employee)
    conversation.add_message(manager, call, "Graag spoed")
    conversation.add_message(account_manager, call, "Ook namens de gemeente")
    assert TicketMessage.objects.unrestricted().filter(ticket=call).count() == 2


def test_nobody_writes_on_a_closed_call(ticket, agent, caller):
    Ticket.all_objects.filter(pk=ticket.pk).update(status=TicketStatus.CLOSED)
    ticket.refresh_from_db()
    for actor, internal in ((agent, False), (agent, True), (caller, False)):
        with pytest.raises(ValidationError):
            conversation.add_message(actor, ticket, "nog iets", internal=internal)
    assert not TicketMessage.objects.unrestricted().filter(ticket=ticket).exists()


def test_empty_message_is_refused(ticket, caller):
    with pytest.raises(ValidationError):
        conversation.add_message(caller, ticket, "  <p> </p> ")


# --- visibility of internal notes ---------------------------------------------------------


def test_internal_notes_never_visible_to_participants(ticket, agent, caller, venlo, make_user):
    conversation.add_message(agent, ticket, "publiek")
    note = conversation.add_message(agent, ticket, "intern", internal=True, files=[upload("log.txt", b"secret")])
    account_manager = make_user(venlo, "account_manager")
    for participant in (caller, account_manager):
        visible = TicketMessage.objects.for_user(participant)
        assert list(visible.values_list("kind", flat=True)) == [MessageKind.PUBLIC]
        assert not Attachment.objects.for_user(participant).exists()
    assert TicketMessage.objects.for_user(agent).filter(pk=note.pk).exists()
    assert Attachment.objects.for_user(agent).count() == 1


def test_default_manager_is_fail_closed(ticket, agent):
    conversation.add_message(agent, ticket, "publiek")
    assert TicketMessage.objects.count() == 0
    assert TicketMessage.objects.unrestricted().count() == 1


def test_audit_trail_of_internal_note_is_not_the_municipalitys(ticket, agent):
    from regie.core.models import AuditRecord

    note = conversation.add_message(agent, ticket, "intern", internal=True)
    record = AuditRecord.objects.unrestricted().filter(object_id=str(note.pk), object_repr__contains="internal").get()
    assert record.organisation_id is None


# --- HTML sanitising -----------------------------------------------------------------------

XSS_CORPUS = [
    "<script>alert(1)</script>hallo",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">klik</a>',
    '<a href="JaVaScRiPt:alert(1)">klik</a>',
    '<a href="  javascript:alert(1)">klik</a>',
    '<a href="java&#x09;script:alert(1)">klik</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '<svg onload="alert(1)"><circle/></svg>',
    '<p onclick="alert(1)" style="color:red">tekst</p>',
    '<iframe src="https://evil.example"></iframe>',
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    '<div><strong onmouseover="alert(1)">vet</strong></div>',
    '"><script>alert(1)</script>',
    "<scr<script>ipt>alert(1)</script>",
    '<body onload="alert(1)">',
    '<a href="vbscript:msgbox(1)">vb</a>',
    "<style>body{display:none}</style>",
    '<form action="https://evil.example"><input name=x></form>',
    "<!--<script>alert(1)</script>-->",
]


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_xss_corpus_is_neutralised(payload):
    html = conversation.sanitise_html(payload).lower()
    assert "<script" not in html
    assert "javascript:" not in html
    assert "vbscript:" not in html
    assert "data:text" not in html
    assert "<iframe" not in html and "<svg" not in html and "<style" not in html and "<form" not in html
    assert "style=" not in html
    import re

    assert not re.search(r"<[^>]+\son\w+\s*=", html)


def test_safe_formatting_is_kept():
    html = conversation.sanitise_html(
        '<p>Zie <a href="https://venlo.nl/storing">de storing</a> en <strong>herstart</strong></p>'
        "<ul><li>een</li></ul><pre><code>ipconfig</code></pre><blockquote>citaat</blockquote>"
    )
    assert '<a href="https://venlo.nl/storing" rel="noopener noreferrer">de storing</a>' in html
    for tag in ("<strong>", "<ul>", "<li>", "<pre>", "<code>", "<blockquote>"):
        assert tag in html


def test_plain_text_becomes_paragraphs_and_is_escaped():
    html = conversation.sanitise_html("regel 1\nregel 2\n\n1 < 2 & 3 > 2")
    assert html == "<p>regel 1<br>regel 2</p>\n\n<p>1 &lt; 2 &amp; 3 &gt; 2</p>"


def test_mailto_links_survive_but_not_other_schemes():
    assert 'href="mailto:helpdesk@ictnml.nl"' in conversation.sanitise_html('<a href="mailto:helpdesk@ictnml.nl">m</a>')
    assert "href" not in conversation.sanitise_html('<a href="ftp://x.example/f">f</a>')


# --- attachments ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "content_type"), [
    ("scan.pdf", PDF_BYTES, "application/pdf"),
    ("foto.png", PNG_BYTES, "image/png"),
    ("foto.JPG", JPEG_BYTES, "image/jpeg"),
    ("anim.gif", GIF_BYTES, "image/gif"),
    ("notities.txt", "Één regel, UTF-8".encode(), "text/plain"),
    ("lijst.csv", b"a;b\n1;2\n", "text/csv"),
    ("brief.docx", office_file("docx"), conversation.DOCX),
    ("sheet.xlsx", office_file("xlsx"), conversation.XLSX),
    ("tekst.odt", office_file("odt"), conversation.ODT),
    ("mail.eml", EML_BYTES, "message/rfc822"),
    ("mail.msg", MSG_BYTES, "application/vnd.ms-outlook"),
])
def test_allowed_types_are_accepted_and_stored_under_a_server_name(ticket, caller, media_root, name, content,
                                                                     content_type):
    message = conversation.add_message(caller, ticket, "bijlage", files=[upload(name, content)])
    attachment = Attachment.objects.unrestricted().get(message=message)
    assert attachment.original_name == name
    assert attachment.content_type == content_type
    assert attachment.size == len(content)
    import hashlib

    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.scan_status == ScanStatus.NOT_SCANNED
    # attachments/<yyyy>/<mm>/<uuid hex>: nothing of the uploaded name.
    parts = attachment.storage_name.split("/")
    assert parts[0] == "attachments" and len(parts[1]) == 4 and len(parts[2]) == 2
    assert len(parts[3]) == 32 and name.split(".")[0] not in parts[3]
    assert (Path(media_root) / attachment.storage_name).read_bytes() == content


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("pagina.html", b"<html><body>hi</body></html>", "only"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "only"),
    ("script.js", b"alert(1)", "only"),
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60, "only"),
    ("geen-extensie", b"hallo", "only"),
    ("factuur.pdf", b"MZ\x90\x00this is an exe", "content"),
    ("factuur.pdf", b"<html><script>alert(1)</script></html>", "content"),
    ("foto.png", PDF_BYTES, "content"),
    ("foto.jpg", PNG_BYTES, "content"),
    ("notities.txt", b"<!DOCTYPE html><script>alert(1)</script>", "content"),
    ("notities.txt", b'<?xml version="1.0"?><svg onload="alert(1)"/>', "content"),
    ("notities.txt", b"tekst\x00met nul", "content"),
    ("notities.txt", b"\xff\xfe ongeldig utf-8 \xc3", "content"),
    ("brief.docx", b"PK\x03\x04 not really a zip", "content"),
    ("brief.docx", office_file("xlsx"), "content"),
    ("sheet.xlsx", MSG_BYTES, "content"),
    ("mail.eml", b"just text, no headers", "content"),
    ("mail.msg", PDF_BYTES, "content"),
    ("leeg.txt", b"", "empty"),
])
def test_forbidden_types_and_mismatches_are_refused_with_a_reason(ticket, caller, media_root, name, content, reason):
    with pytest.raises(ValidationError) as excinfo:
        conversation.add_message(caller, ticket, "bijlage", files=[upload(name, content)])
    text = " ".join(excinfo.value.messages)
    assert name in text
    assert {"only": "only", "content": "content", "empty": "empty"}[reason] in text
    assert not TicketMessage.objects.unrestricted().exists()
    assert not Attachment.objects.unrestricted().exists()
    assert not any(Path(media_root).rglob("*")) or not any(p.is_file() for p in Path(media_root).rglob("*"))


def test_size_limit(settings, ticket, caller):
    settings.REGIE_ATTACHMENT_MAX_BYTES = 100
    conversation.add_message(caller, ticket, "past", files=[upload("a.txt", b"x" * 100)])
    with pytest.raises(ValidationError, match="too large"):
        conversation.add_message(caller, ticket, "te groot", files=[upload("b.txt", b"x" * 101)])
    assert Attachment.objects.unrestricted().count() == 1


def test_count_limit(settings, ticket, caller):
    settings.REGIE_ATTACHMENT_MAX_COUNT = 2
    conversation.add_message(caller, ticket, "twee", files=[upload(f"{n}.txt", b"x") for n in range(2)])
    with pytest.raises(ValidationError, match="At most 2 files"):
        conversation.add_message(caller, ticket, "drie", files=[upload(f"{n}.txt", b"x") for n in range(3)])
    assert Attachment.objects.unrestricted().count() == 2


def test_default_limits():
    assert conversation.attachment_max_bytes() == 10 * 1024 * 1024
    assert conversation.attachment_max_count() == 5


def test_one_bad_file_refuses_the_whole_message(ticket, caller, media_root):
    with pytest.raises(ValidationError):
        conversation.add_message(caller, ticket, "twee", files=[upload("ok.txt", b"ok"), upload("x.html", b"<p>")])
    assert not TicketMessage.objects.unrestricted().exists()
    assert not [p for p in Path(media_root).rglob("*") if p.is_file()]


@pytest.mark.parametrize(("raw", "clean"), [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("C:\\Users\\x\\rapport.pdf", "rapport.pdf"),
    ("evil\r\nX-Header: 1.txt", "evilX-Header: 1.txt"),
    ("<img src=x onerror=alert(1)>.txt", "<img src=x onerror=alert(1)>.txt"),
    ("...", "file"),
])
def test_filenames_lose_paths_and_control_characters(raw, clean):
    assert conversation.clean_filename(raw) == clean


def test_malware_scanner_refuses_eicar(settings, ticket, caller, media_root):
    settings.REGIE_ATTACHMENT_SCANNER = f"{__name__}.eicar_scanner"
    with pytest.raises(ValidationError, match="malware scan: Eicar-Test-Signature"):
        conversation.add_message(caller, ticket, "virus?", files=[upload("eicar.txt", EICAR)])
    assert not Attachment.objects.unrestricted().exists()
    assert not TicketMessage.objects.unrestricted().exists()
    assert not [p for p in Path(media_root).rglob("*") if p.is_file()]
    message = conversation.add_message(caller, ticket, "schoon", files=[upload("ok.txt", b"schoon")])
    assert Attachment.objects.unrestricted().get(message=message).scan_status == ScanStatus.CLEAN


def test_failing_scanner_fails_closed(settings, ticket, caller):
    settings.REGIE_ATTACHMENT_SCANNER = f"{__name__}.broken_scanner"
    with pytest.raises(ValidationError, match="could not be checked"):
        conversation.add_message(caller, ticket, "bijlage", files=[upload("ok.txt", b"schoon")])
    assert not Attachment.objects.unrestricted().exists()


# --- SLA effects ---------------------------------------------------------------------------


def test_first_public_reply_of_an_agent_sets_first_response(ticket, agent, caller):
    conversation.add_message(caller, ticket, "aanvulling")
    conversation.add_message(agent, ticket, "notitie", internal=True)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    first = conversation.add_message(agent, ticket, "Wij pakken het op")
    ticket.refresh_from_db()
    assert ticket.first_response_at == first.created_at
    conversation.add_message(agent, ticket, "tweede antwoord")
    ticket.refresh_from_db()
    assert ticket.first_response_at == first.created_at


def test_reply_by_requester_resumes_a_call_waiting_for_caller(ticket, agent, caller):
    ticket = services.update_ticket(agent, ticket, {"status": TicketStatus.WAITING_FOR_CALLER})
    assert ticket.sla_paused_since is not None
    version = ticket.version
    conversation.add_message(caller, ticket, "Hier is de informatie")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.sla_paused_since is None
    assert ticket.version == version + 1
    pause = TicketPause.objects.get(ticket=ticket)
    assert pause.ended_at is not None


def test_agent_reply_does_not_resume_waiting_for_caller(ticket, agent):
    ticket = services.update_ticket(agent, ticket, {"status": TicketStatus.WAITING_FOR_CALLER})
    conversation.add_message(agent, ticket, "Heeft u de informatie al?")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_FOR_CALLER


def test_reply_of_others_does_not_resume(venlo, make_user, agent):
    account_manager = make_user(venlo, "account_manager")
    call = TicketFactory(requester=make_user(venlo, "employee"))
    call = services.update_ticket(agent, call, {"status": TicketStatus.WAITING_FOR_CALLER})
    conversation.add_message(account_manager, call, "ik weet het niet")
    call.refresh_from_db()
    assert call.status == TicketStatus.WAITING_FOR_CALLER


# --- merge ---------------------------------------------------------------------------------


def test_merge_closes_the_duplicate_with_a_link(ticket, agent, caller):
    original = TicketFactory(requester=caller)
    merge = conversation.merge_tickets(agent, ticket, original)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    assert ticket.resolution_code == ResolutionCode.DUPLICATE
    assert original.reference in ticket.resolution_text
    assert merge.into == original and TicketMerge.objects.get(duplicate=ticket).into == original
    assert TicketMessage.objects.unrestricted().filter(ticket=original, kind=MessageKind.INTERNAL).exists()
    with pytest.raises(ValidationError, match="merged"):
        conversation.add_message(agent, ticket, "nog iets")
    with pytest.raises(ValidationError, match="merged"):
        conversation.add_message(caller, ticket, "nog iets")


def test_merge_rules(ticket, agent, caller, roermond, make_user):
    same_org = TicketFactory(requester=caller)
    other_org = TicketFactory(requester=make_user(roermond, "employee"))
    with pytest.raises(PermissionDenied):
        conversation.merge_tickets(caller, ticket, same_org)
    with pytest.raises(ValidationError, match="same organisation"):
        conversation.merge_tickets(agent, ticket, other_org)
    with pytest.raises(ValidationError, match="itself"):
        conversation.merge_tickets(agent, ticket, ticket)
    conversation.merge_tickets(agent, ticket, same_org)
    with pytest.raises(ValidationError, match="already"):
        conversation.merge_tickets(agent, ticket, same_org)
    third = TicketFactory(requester=caller)
    with pytest.raises(ValidationError, match="still open"):
        conversation.merge_tickets(agent, third, ticket)
    assert TicketMerge.objects.count() == 1


def test_merge_from_resolved(ticket, agent, caller):
    ticket = services.update_ticket(agent, ticket, {
        "status": TicketStatus.RESOLVED, "resolution_code": ResolutionCode.SOLVED, "resolution_text": "klaar"})
    conversation.merge_tickets(agent, ticket, TicketFactory(requester=caller))
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution_code) == (TicketStatus.CLOSED, ResolutionCode.DUPLICATE)


# --- parent/child --------------------------------------------------------------------------


def test_link_child_rules(ticket, agent, caller, roermond, make_user):
    child = TicketFactory(requester=caller)
    grandchild = TicketFactory(requester=caller)
    with pytest.raises(PermissionDenied):
        conversation.link_child(caller, ticket, child)
    conversation.link_child(agent, ticket, child)
    conversation.link_child(agent, child, grandchild)
    assert list(Ticket.all_objects.filter(parent=ticket)) == [child]
    with pytest.raises(ValidationError, match="part of itself"):
        conversation.link_child(agent, grandchild, ticket)
    with pytest.raises(ValidationError, match="own child"):
        conversation.link_child(agent, ticket, ticket)
    with pytest.raises(ValidationError, match="same organisation"):
        conversation.link_child(agent, ticket, TicketFactory(requester=make_user(roermond, "employee")))
    with pytest.raises(ValidationError, match="another call"):
        conversation.link_child(agent, TicketFactory(requester=caller), grandchild)
    conversation.unlink_child(agent, child)
    child.refresh_from_db()
    assert child.parent_id is None


# --- satisfaction --------------------------------------------------------------------------


def resolve(agent, ticket):
    return services.update_ticket(agent, ticket, {
        "status": TicketStatus.RESOLVED, "resolution_code": ResolutionCode.SOLVED, "resolution_text": "klaar"})


def test_rating_only_by_the_requester_once_after_resolution(ticket, agent, caller, venlo, make_user):
    with pytest.raises(ValidationError, match="resolved"):
        conversation.rate_ticket(caller, ticket, 5)
    ticket = resolve(agent, ticket)
    with pytest.raises(PermissionDenied):
        conversation.rate_ticket(agent, ticket, 5)
    with pytest.raises(PermissionDenied):
        conversation.rate_ticket(make_user(venlo, "account_manager"), ticket, 5)
    for bad in (0, 6, "veel", None):
        with pytest.raises(ValidationError, match="1 to 5"):
            conversation.rate_ticket(caller, ticket, bad)
    assert conversation.may_rate(caller, ticket)
    rating = conversation.rate_ticket(caller, ticket, 4, "  snel opgelost ")
    assert (rating.score, rating.comment, rating.rated_by) == (4, "snel opgelost", caller)
    assert not conversation.may_rate(caller, ticket)
    with pytest.raises(ValidationError, match="already"):
        conversation.rate_ticket(caller, ticket, 1)
    assert SatisfactionRating.objects.get(ticket=ticket).score == 4


def test_rating_on_closed_call(ticket, agent, caller):
    ticket = resolve(agent, ticket)
    ticket = services.update_ticket(agent, ticket, {"status": TicketStatus.CLOSED})
    conversation.rate_ticket(caller, ticket, 2)
    assert SatisfactionRating.objects.filter(ticket=ticket).exists()
