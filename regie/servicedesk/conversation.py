"""Domain rules for the conversation on a call: replies, internal notes, attachments,
merging duplicates, parent/child links and satisfaction ratings.

Views and the API come here; nothing below trusts the caller to have checked anything.
"""

import hashlib
import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import nh3
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape, linebreaks
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from . import notifications, services
from .choices import ResolutionCode, TicketStatus
from .models import (
    Attachment,
    CannedResponse,
    MessageKind,
    SatisfactionRating,
    ScanStatus,
    Ticket,
    TicketMerge,
    TicketMessage,
    attachment_path,
)
from .sla import apply_sla

logger = logging.getLogger(__name__)

# --- HTML -----------------------------------------------------------------------------------

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "code", "pre", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
BODY_MAX_CHARS = 50_000
LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z/!?]")
HAS_LINE_MARKUP = re.compile(r"<(p|br|li|pre|blockquote)\b", re.IGNORECASE)


def sanitise_html(body):
    """Plain text becomes paragraphs; HTML keeps only a small safe set (nh3 = ammonia)."""
    body = (body or "").strip()
    if not LOOKS_LIKE_HTML.search(body):
        body = linebreaks(escape(body))
    elif not HAS_LINE_MARKUP.search(body):
        # HTML typed in a plain textarea: keep the writer's line breaks.
        body = body.replace("\r\n", "\n").replace("\n", "<br>\n")
    return nh3.clean(
        body,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def _has_text(html):
    return bool(re.sub(r"<[^>]*>|&nbsp;|\s", "", html))


# --- attachments ----------------------------------------------------------------------------

# Extension → (content type stored and offered, check of the content).
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"
# Text that a browser would treat as markup or script, whatever the file is called.
MARKUP_START = re.compile(rb"^\s*(<!doctype|<html|<svg|<\?xml|<script|<head|<body|<iframe)", re.IGNORECASE)
EML_HEADER = re.compile(
    rb"^(received|from|to|subject|date|message-id|mime-version|return-path|delivered-to|reply-to|x-[\w-]+):",
    re.IGNORECASE | re.MULTILINE,
)


def attachment_max_bytes():
    return int(getattr(settings, "REGIE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def attachment_max_count():
    return int(getattr(settings, "REGIE_ATTACHMENT_MAX_COUNT", 5))


def _utf8_text(content):
    if b"\x00" in content:
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _check_office(content, extension):
    """A real Office/ODF document: a zip with the parts its kind must have (only the
    directory and the tiny `mimetype` entry are read, so a zip bomb costs nothing)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if extension == "docx":
                return "[Content_Types].xml" in names and "word/document.xml" in names
            if extension == "xlsx":
                return "[Content_Types].xml" in names and "xl/workbook.xml" in names
            if extension == "odt" and "mimetype" in names and archive.getinfo("mimetype").file_size < 100:
                return archive.read("mimetype").strip() == ODT.encode()
    except (zipfile.BadZipFile, ValueError, OSError, KeyError):
        return False
    return False


def _check_text(content):
    return _utf8_text(content) is not None and not MARKUP_START.match(content[:512])


def _check_eml(content):
    return _check_text(content) and EML_HEADER.search(content[:4096]) is not None


ALLOWED_TYPES = {
    "pdf": (PDF, lambda c: c.startswith(b"%PDF-")),
    "png": ("image/png", lambda c: c.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", lambda c: c.startswith(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", lambda c: c.startswith(b"\xff\xd8\xff")),
    "gif": ("image/gif", lambda c: c[:6] in (b"GIF87a", b"GIF89a")),
    "txt": ("text/plain", _check_text),
    "csv": ("text/csv", _check_text),
    "docx": (DOCX, lambda c: c.startswith(ZIP_SIGNATURE) and _check_office(c, "docx")),
    "xlsx": (XLSX, lambda c: c.startswith(ZIP_SIGNATURE) and _check_office(c, "xlsx")),
    "odt": (ODT, lambda c: c.startswith(ZIP_SIGNATURE) and _check_office(c, "odt")),
    "eml": ("message/rfc822", _check_eml),
    "msg": ("application/vnd.ms-outlook", lambda c: c.startswith(OLE_SIGNATURE)),
}

# Content types a browser may be given as themselves (always as a download, with nosniff).
SAFE_DOWNLOAD_TYPES = {PDF, "image/png", "image/jpeg", "image/gif", "text/plain", "text/csv"}


def clean_filename(name):
    """The uploaded name, without path, control characters or surrounding dots and spaces."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = PurePosixPath(name.replace("\\", "/")).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip(" .")
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: 200 - len(extension) - 1] + dot + extension) if dot and len(extension) <= 10 else name[:200]
    return name or "file"


@dataclass
class CheckedFile:
    name: str
    content: bytes
    content_type: str


def check_file(upload):
    """Refuse anything over the limit, of a type not on the list, or whose content does not
    match its name (checked by magic bytes and structure, not by what the browser claims)."""
    name = clean_filename(getattr(upload, "name", ""))
    limit = attachment_max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(_("“%(name)s” is too large: at most %(limit)s MB per file.")
                              % {"name": name, "limit": _megabytes(limit)})
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(_("“%(name)s” is too large: at most %(limit)s MB per file.")
                              % {"name": name, "limit": _megabytes(limit)})
    if not content:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name})
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in ALLOWED_TYPES:
        raise ValidationError(
            _("“%(name)s” is not accepted: only %(types)s files may be attached.")
            % {"name": name, "types": ", ".join(sorted(ALLOWED_TYPES))}
        )
    content_type, matches = ALLOWED_TYPES[extension]
    if not matches(content):
        raise ValidationError(
            _("“%(name)s” is not accepted: its content is not a real .%(extension)s file.")
            % {"name": name, "extension": extension}
        )
    return CheckedFile(name=name, content=content, content_type=content_type)


def _megabytes(limit):
    return f"{limit / (1024 * 1024):g}"


def _scanner():
    dotted = getattr(settings, "REGIE_ATTACHMENT_SCANNER", "") or ""
    return import_string(dotted) if dotted else None


def _store(ticket, message, checked, actor, now):
    """Write the file under a server-made name, scan it, and record it."""
    path = default_storage.save(attachment_path(now), io.BytesIO(checked.content))
    try:
        status, detail = ScanStatus.NOT_SCANNED, ""
        scanner = _scanner()
        if scanner is not None:
            try:
                clean, detail = scanner(default_storage.path(path))
            except Exception:
                # Fail closed: a scanner that cannot answer lets nothing through.
                logger.exception("Malware scanner failed on an attachment")
                raise ValidationError(_("“%(name)s” could not be checked for malware; try again later.")
                                      % {"name": checked.name}) from None
            if not clean:
                raise ValidationError(_("“%(name)s” was refused by the malware scan: %(detail)s")
                                      % {"name": checked.name, "detail": detail or _("infected")})
            status = ScanStatus.CLEAN
        return Attachment.objects.unrestricted().create(
            ticket=ticket,
            message=message,
            original_name=checked.name,
            storage_name=path,
            size=len(checked.content),
            content_type=checked.content_type,
            sha256=hashlib.sha256(checked.content).hexdigest(),
            uploaded_by=actor,
            created_at=now,
            scan_status=status,
            scan_detail=(detail or "")[:200],
        ), path
    except BaseException:
        default_storage.delete(path)
        raise


# --- messages -------------------------------------------------------------------------------


def may_reply(actor, ticket, internal=False):
    """Agents may reply and write notes; the call's own people (who can see it) may reply."""
    if not actor or not actor.is_authenticated or ticket.status == TicketStatus.CLOSED:
        return False
    if not Ticket.objects.for_user(actor).filter(pk=ticket.pk).exists():
        return False
    if services.is_agent(actor):
        return True
    return not internal and actor.organisation_id == ticket.organisation_id


def add_message(actor, ticket, body, internal=False, files=(), now=None):
    """Post a reply or an internal note with attachments; all or nothing."""
    now = now or timezone.now()
    if not Ticket.objects.for_user(actor).filter(pk=ticket.pk).exists():
        raise Ticket.DoesNotExist
    if TicketMerge.objects.filter(duplicate=ticket).exists():
        raise ValidationError(_("This call was merged into another; reply on that call instead."))
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationError(_("This call is closed; no more messages can be added."))
    if internal and not services.is_agent(actor):
        raise PermissionDenied(_("Only the service desk writes internal notes."))
    if not may_reply(actor, ticket, internal):
        raise PermissionDenied(_("You may not reply to this call."))
    if len(body or "") > BODY_MAX_CHARS:
        raise ValidationError({"body": _("The message is too long.")})
    body_html = sanitise_html(body)
    files = list(files or ())
    if not _has_text(body_html) and not files:
        raise ValidationError({"body": _("Write a message or attach a file.")})
    if len(files) > attachment_max_count():
        raise ValidationError({"files": _("At most %(count)s files per message.") % {"count": attachment_max_count()}})
    checked = []
    errors = []
    for upload in files:
        try:
            checked.append(check_file(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"files": errors})
    stored_paths = []
    try:
        with transaction.atomic():
            message = TicketMessage.objects.unrestricted().create(
                ticket=ticket,
                author=actor,
                kind=MessageKind.INTERNAL if internal else MessageKind.PUBLIC,
                body_html=body_html or "",
                created_at=now,
            )
            for item in checked:
                _attachment, path = _store(ticket, message, item, actor, now)
                stored_paths.append(path)
            if not internal:
                _after_public_reply(actor, ticket, now)
                notifications.replied(message)
    except BaseException:
        for path in stored_paths:
            default_storage.delete(path)
        raise
    return message


def _after_public_reply(actor, ticket, now):
    """An agent's first public reply is the response the SLA measures; a reply by the
    caller to a call waiting for them sets the clock running again."""
    current = Ticket.all_objects.select_for_update().get(pk=ticket.pk)
    if services.is_agent(actor):
        if current.first_response_at is None:
            current.first_response_at = now
            current.save(update_fields=["first_response_at", "updated_at"])
            ticket.first_response_at = now
        return
    if current.status == TicketStatus.WAITING_FOR_CALLER and actor.pk in (current.requester_id, current.created_by_id):
        resume_for_caller(actor, current, now)
        ticket.status = TicketStatus.IN_PROGRESS


def resume_for_caller(actor, ticket, now):
    """Waiting for caller → in progress on the caller's reply. The caller may not change
    the status themselves (services.editable_fields), so the system does it, through the
    same transition rules and SLA recomputation as services.update_ticket."""
    with transaction.atomic():
        current = Ticket.all_objects.select_for_update().get(pk=ticket.pk)
        if current.status != TicketStatus.WAITING_FOR_CALLER:
            return current
        old = current.status
        current.status = TicketStatus.IN_PROGRESS
        services._transition(current, old, current.status, now)
        apply_sla(current)
        current.version += 1
        current.save()
    return current


# --- attachments: listing and download -----------------------------------------------------


def attachments_for(actor, ticket):
    """The attachments of a call that `actor` may see (internal notes' only for provider staff)."""
    return Attachment.objects.for_user(actor).filter(ticket=ticket).select_related("uploaded_by")


def download_response(attachment):
    """The file as a download, never rendered: a safe content type or octet-stream, nosniff,
    a sandboxing CSP and no caching. The caller has done the access check (attachments_for)."""
    from django.http import FileResponse, Http404

    try:
        handle = default_storage.open(attachment.storage_name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    content_type = attachment.content_type if attachment.content_type in SAFE_DOWNLOAD_TYPES else (
        "application/octet-stream"
    )
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- canned responses -------------------------------------------------------------------------

CANNED_MANAGE_PERMISSION = "servicedesk.change_cannedresponse"
CANNED_TITLE_MAX_CHARS = 120
CANNED_BODY_MAX_CHARS = 10_000


def may_manage_canned(actor):
    """Team leads and Regie's administrators (roles.py) keep the canned responses."""
    return bool(actor and actor.is_authenticated and services.is_agent(actor)
                and actor.has_perm(CANNED_MANAGE_PERMISSION))


def canned_responses_for(actor):
    """The active canned responses `actor` may start a reply from: the general ones and
    those of the actor's own teams. Service desk only; nothing for anyone else."""
    if not actor or not actor.is_authenticated or not services.is_agent(actor):
        return CannedResponse.objects.none()
    from django.db.models import Q

    from regie.core.models import Team

    # Team.all_objects: the user's own team memberships (Team's default manager is fail-closed).
    own_teams = Team.all_objects.filter(members=actor).values("pk")
    return CannedResponse.objects.filter(is_active=True).filter(
        Q(team__isnull=True) | Q(team__in=own_teams)
    ).select_related("team")


def canned_team_choices():
    """Canned responses are for the provider's own teams (1st line, 2nd line, suppliers)."""
    from regie.core.models import Team

    return Team.objects.unrestricted().filter(organisation__kind="provider").order_by("line", "name")


def clean_canned_body(body):
    """Keep the text as written (it is pasted into the reply box), but with HTML reduced to
    the same safe set as replies; the reply is sanitised again when it is posted."""
    body = (body or "").strip().replace("\r\n", "\n")
    if LOOKS_LIKE_HTML.search(body):
        body = nh3.clean(
            body, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=ALLOWED_URL_SCHEMES,
            link_rel="noopener noreferrer", strip_comments=True,
        ).strip()
    return body


def save_canned_response(actor, canned=None, *, title, body, team=None, is_active=True):
    """Create (canned=None) or change a canned response; all fields checked here."""
    if not may_manage_canned(actor):
        raise PermissionDenied(_("Only team leads and administrators keep the canned responses."))
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Give the canned response a title.")
    elif len(title) > CANNED_TITLE_MAX_CHARS:
        errors["title"] = _("The title is too long.")
    if len(body or "") > CANNED_BODY_MAX_CHARS:
        errors["body"] = _("The text is too long.")
    cleaned = clean_canned_body(body)
    if "body" not in errors and not _has_text(cleaned):
        errors["body"] = _("Write the text of the canned response.")
    if team is not None and not canned_team_choices().filter(pk=team.pk).exists():
        errors["team"] = _("Choose one of the service desk's teams.")
    if errors:
        raise ValidationError(errors)
    canned = canned or CannedResponse()
    canned.title, canned.body, canned.team, canned.is_active = title, cleaned, team, bool(is_active)
    canned.save()
    return canned


def delete_canned_response(actor, canned):
    """Nothing refers to a canned response (a reply copies its text), so it may go."""
    if not may_manage_canned(actor) or not actor.has_perm("servicedesk.delete_cannedresponse"):
        raise PermissionDenied(_("Only team leads and administrators keep the canned responses."))
    canned.delete()


# --- merge and parent/child ----------------------------------------------------------------


def merge_tickets(actor, duplicate, into, now=None):
    """Close `duplicate` as a duplicate of `into` (same organisation), linking the two."""
    now = now or timezone.now()
    if not services.is_agent(actor):
        raise PermissionDenied(_("Only the service desk merges calls."))
    visible = Ticket.objects.for_user(actor)
    if not visible.filter(pk=duplicate.pk).exists() or not visible.filter(pk=into.pk).exists():
        raise Ticket.DoesNotExist
    if duplicate.pk == into.pk:
        raise ValidationError({"into": _("A call cannot be merged into itself.")})
    if duplicate.organisation_id != into.organisation_id:
        raise ValidationError({"into": _("Only calls of the same organisation can be merged.")})
    if TicketMerge.objects.filter(duplicate=duplicate).exists():
        raise ValidationError({"into": _("This call has already been merged.")})
    if TicketMerge.objects.filter(duplicate=into).exists() or into.status == TicketStatus.CLOSED:
        raise ValidationError({"into": _("Merge into a call that is still open.")})
    if duplicate.status == TicketStatus.CLOSED:
        raise ValidationError({"into": _("A closed call cannot be merged.")})
    note = _("Merged into %(reference)s as a duplicate.") % {"reference": into.reference}
    with transaction.atomic():
        current = duplicate
        if current.status != TicketStatus.RESOLVED:
            current = services.update_ticket(actor, current, {
                "status": TicketStatus.RESOLVED,
                "resolution_code": ResolutionCode.DUPLICATE,
                "resolution_text": note,
            }, now=now)
        else:
            current = services.update_ticket(
                actor, current, {"resolution_code": ResolutionCode.DUPLICATE, "resolution_text": note}, now=now
            )
        current = services.update_ticket(actor, current, {"status": TicketStatus.CLOSED}, now=now)
        merge = TicketMerge.objects.create(duplicate=current, into=into, merged_by=actor, merged_at=now)
        TicketMessage.objects.unrestricted().create(
            ticket=current, author=actor, kind=MessageKind.PUBLIC, body_html=sanitise_html(note), created_at=now
        )
        TicketMessage.objects.unrestricted().create(
            ticket=into, author=actor, kind=MessageKind.INTERNAL, created_at=now,
            body_html=sanitise_html(_("%(reference)s was merged into this call as a duplicate.")
                                    % {"reference": current.reference}),
        )
    return merge


def link_child(actor, parent, child):
    """Put `child` under `parent` (same organisation; no cycles)."""
    if not services.is_agent(actor):
        raise PermissionDenied(_("Only the service desk links calls."))
    visible = Ticket.objects.for_user(actor)
    if not visible.filter(pk=parent.pk).exists() or not visible.filter(pk=child.pk).exists():
        raise Ticket.DoesNotExist
    if parent.pk == child.pk:
        raise ValidationError({"child": _("A call cannot be its own child.")})
    if parent.organisation_id != child.organisation_id:
        raise ValidationError({"child": _("Only calls of the same organisation can be linked.")})
    with transaction.atomic():
        # Read the links from the database, not from the (possibly stale) objects passed in.
        current = Ticket.all_objects.select_for_update().get(pk=child.pk)
        if current.parent_id not in (None, parent.pk):
            raise ValidationError({"child": _("This call is already part of another call.")})
        # Walk up from the new parent (one query per level; chains are short).
        ancestor_id, seen = parent.pk, set()
        while ancestor_id is not None and ancestor_id not in seen:
            if ancestor_id == current.pk:
                raise ValidationError({"child": _("That would make a call part of itself.")})
            seen.add(ancestor_id)
            ancestor_id = Ticket.all_objects.filter(pk=ancestor_id).values_list("parent_id", flat=True).first()
        current.parent = parent
        current.save(update_fields=["parent", "updated_at"])
    return current


def unlink_child(actor, child):
    if not services.is_agent(actor):
        raise PermissionDenied(_("Only the service desk links calls."))
    if not Ticket.objects.for_user(actor).filter(pk=child.pk).exists():
        raise Ticket.DoesNotExist
    with transaction.atomic():
        current = Ticket.all_objects.select_for_update().get(pk=child.pk)
        current.parent = None
        current.save(update_fields=["parent", "updated_at"])
    return current


# --- satisfaction ---------------------------------------------------------------------------


def may_rate(actor, ticket):
    return bool(
        actor
        and actor.is_authenticated
        and actor.pk == ticket.requester_id
        and ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
        and not TicketMerge.objects.filter(duplicate=ticket).exists()
        and not SatisfactionRating.objects.filter(ticket=ticket).exists()
    )


def rate_ticket(actor, ticket, score, comment="", now=None):
    if actor.pk != ticket.requester_id:
        raise PermissionDenied(_("Only the requester rates a call."))
    if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        raise ValidationError({"score": _("A call can be rated once it is resolved.")})
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError({"score": _("Give a score from 1 to 5.")})
    with transaction.atomic():
        Ticket.all_objects.select_for_update().get(pk=ticket.pk)
        if SatisfactionRating.objects.filter(ticket=ticket).exists():
            raise ValidationError({"score": _("This call has already been rated.")})
        return SatisfactionRating.objects.create(
            ticket=ticket, score=score, comment=(comment or "").strip()[:2000], rated_by=actor,
            created_at=now or timezone.now(),
        )
