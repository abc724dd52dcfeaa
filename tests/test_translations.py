"""The Dutch translation is complete, compiled, covers every string in the source, and
pages really come out in the user's language (words, dates and numbers).

To update the translation after adding strings (needs gettext):
    cd regie && ../.venv/bin/python ../manage.py makemessages -l nl --no-obsolete -i "static/*"
    (translate the new entries in regie/locale/nl/LC_MESSAGES/django.po)
    ../.venv/bin/python ../manage.py compilemessages -l nl
"""

import ast
import gettext
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from signin_helpers import enrolled_client

import regie
from regie.core.factories import OrganisationFactory
from regie.servicedesk.factories import TicketFactory
from regie.servicedesk.models import Ticket

PACKAGE_DIR = Path(regie.__file__).resolve().parent
PO_PATH = PACKAGE_DIR / "locale" / "nl" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
# The same options as the documented makemessages command (module docstring).
MAKEMESSAGES_OPTIONS = {"locale": ["nl"], "no_obsolete": True, "ignore_patterns": ["static/*"]}
PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_][A-Za-z0-9_]*\))?[sdif%]")


# --- a small .po reader (no extra dependency) ----------------------------------------------


@dataclass
class PoEntry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self):
        return (self.msgctxt, self.msgid, self.msgid_plural)

    def describe(self):
        context = f" (context {self.msgctxt!r})" if self.msgctxt else ""
        return f"line {self.line}: {self.msgid!r}{context}"


def read_po(path):
    """Entries of a .po file, the header (msgid "") included as the first one."""
    entries, entry, target = [], None, None

    def finish():
        if entry is not None and (entry.msgid or entry.msgstr or entry.obsolete):
            entries.append(entry)

    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            entry, target = None, None
            continue
        if entry is None:
            entry = PoEntry(line=number)
        if line.startswith("#~"):
            entry.obsolete = True
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            target(ast.literal_eval(line))
        else:
            keyword, _space, value = line.partition(" ")
            text = ast.literal_eval(value)
            if keyword in ("msgctxt", "msgid") and not (entry.msgctxt or entry.msgid):
                entry.line = number  # where the entry's text starts, for messages
            if keyword == "msgctxt":
                entry.msgctxt = text
                target = lambda more, e=entry: setattr(e, "msgctxt", e.msgctxt + more)  # noqa: E731
            elif keyword == "msgid":
                entry.msgid = text
                target = lambda more, e=entry: setattr(e, "msgid", e.msgid + more)  # noqa: E731
            elif keyword == "msgid_plural":
                entry.msgid_plural = text
                target = lambda more, e=entry: setattr(e, "msgid_plural", e.msgid_plural + more)  # noqa: E731
            elif keyword.startswith("msgstr"):
                index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
                entry.msgstr[index] = text

                def target(more, e=entry, i=index):
                    e.msgstr[i] += more
            else:
                raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return entries


def messages(path):
    """The translatable entries: no header, no obsolete ones."""
    return [entry for entry in read_po(path) if entry.msgid and not entry.obsolete]


# --- the .po and the .mo ----------------------------------------------------------------------


def test_po_header_is_usable():
    header = read_po(PO_PATH)[0]
    assert header.msgid == "", "the .po has no header entry"
    assert "fuzzy" not in header.flags, "a fuzzy header is ignored by msgfmt; remove the flag"
    text = header.msgstr[0]
    assert "charset=UTF-8" in text
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in text
    assert "Language: nl" in text


def test_every_dutch_entry_is_translated_and_checked():
    entries = messages(PO_PATH)
    assert len(entries) > 400, "the Dutch .po looks truncated"
    forms = lambda entry: range(2 if entry.msgid_plural else 1)  # noqa: E731
    untranslated = [e.describe() for e in entries if not all(e.msgstr.get(i) for i in forms(e))]
    fuzzy = [e.describe() for e in entries if "fuzzy" in e.flags]
    obsolete = [e.describe() for e in read_po(PO_PATH) if e.obsolete]
    assert not untranslated, "untranslated in the Dutch .po:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy (unchecked) in the Dutch .po:\n" + "\n".join(fuzzy)
    assert not obsolete, "obsolete entries (#~) in the Dutch .po; run makemessages with --no-obsolete:\n" + "\n".join(
        obsolete
    )


def test_translations_keep_placeholders_and_edge_whitespace():
    problems = []
    for entry in messages(PO_PATH):
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        for index, translation in sorted(entry.msgstr.items()):
            source = sources[min(index, len(sources) - 1)]
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translation)):
                problems.append(f"{entry.describe()}: placeholders differ in {translation!r}")
            for edge in (str.startswith, str.endswith):
                for blank in (" ", "\n"):
                    if edge(source, blank) != edge(translation, blank):
                        problems.append(f"{entry.describe()}: leading/trailing whitespace differs in {translation!r}")
    assert not problems, "\n".join(problems)


class _RecordMisses(gettext.NullTranslations):
    """Fallback for the compiled catalogue: notes every message the .mo lacks."""

    def __init__(self):
        super().__init__()
        self.missing = []

    def gettext(self, message):
        self.missing.append(message)
        return message

    def ngettext(self, singular, plural, n):
        self.missing.append(singular)
        return singular if n == 1 else plural

    def pgettext(self, context, message):
        self.missing.append(f"{context}\x04{message}")
        return message

    def npgettext(self, context, singular, plural, n):
        self.missing.append(f"{context}\x04{singular}")
        return singular if n == 1 else plural


def test_compiled_mo_matches_the_po():
    """The .mo is committed (no gettext needed to run Regie): it must say what the .po says."""
    assert MO_PATH.exists(), "regie/locale/nl/LC_MESSAGES/django.mo is missing; run compilemessages"
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    misses = _RecordMisses()
    compiled.add_fallback(misses)
    stale = []
    for entry in messages(PO_PATH):
        if entry.msgid_plural:
            found = [
                compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                if entry.msgctxt
                else compiled.ngettext(entry.msgid, entry.msgid_plural, n)
                for n in (1, 2)
            ]
            expected = [entry.msgstr.get(0), entry.msgstr.get(1)]
        else:
            found = [compiled.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else compiled.gettext(entry.msgid)]
            expected = [entry.msgstr.get(0)]
        if found != expected:
            stale.append(entry.describe())
    assert not misses.missing and not stale, (
        "the compiled .mo is out of date with the .po; run `manage.py compilemessages -l nl`:\n"
        + "\n".join(sorted(set(stale)))
    )


# --- the source against the .po ----------------------------------------------------------------


def _gettext_tools_or_skip():
    missing = [tool for tool in ("xgettext", "msgmerge", "msguniq") if shutil.which(tool) is None]
    if missing:
        reason = f"gettext tools missing ({', '.join(missing)}); install gettext to check the source strings"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.mark.slow
def test_every_translatable_string_in_the_source_is_in_the_po(tmp_path, monkeypatch):
    """Run the real makemessages on a copy of the package, so the committed .po is never
    touched, and compare the message sets."""
    _gettext_tools_or_skip()
    copy = tmp_path / "regie"
    shutil.copytree(
        PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "static", "locale", "*.mo")
    )
    locale = copy / "locale"
    locale.mkdir()
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[str(locale)]):
        call_command("makemessages", verbosity=0, **MAKEMESSAGES_OPTIONS)
    from_source = {entry.key for entry in messages(locale / "nl" / "LC_MESSAGES" / "django.po")}
    committed = {entry.key: entry for entry in messages(PO_PATH)}
    assert len(from_source) > 400, "makemessages found suspiciously few strings"

    def show(key):
        context, msgid, plural = key
        return repr(msgid) + (f" / {plural!r}" if plural else "") + (f" (context {context!r})" if context else "")

    new = sorted(from_source - committed.keys(), key=lambda key: key[1])
    gone = sorted(committed.keys() - from_source, key=lambda key: key[1])
    assert not new, (
        f"{len(new)} translatable string(s) in the source are not in the Dutch .po; run makemessages, "
        "translate and compilemessages (see this module's docstring):\n" + "\n".join(map(show, new))
    )
    assert not gone, "the Dutch .po has entries the source no longer uses; run makemessages --no-obsolete:\n" + (
        "\n".join(map(show, gone))
    )


# --- pages in the user's language ----------------------------------------------------------------


@pytest.fixture
def agent_in(provider, make_user):
    """A 1st-line agent preferring `language`, signed in through the real login and enrolment."""

    def make(language):
        user = make_user(provider, "first_line", username=f"agent.{language}", first_name="Sanne",
                         preferred_language=language)
        client, _device, _codes = enrolled_client(user)
        return client

    return make


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response, response.content.decode()


def test_login_page_is_dutch_by_default_and_english_on_request(db):
    response, html = page(Client(), "/account/login/")
    assert response["Content-Language"] == "nl"
    assert '<html lang="nl">' in html
    assert "Inloggen bij Regie" in html and "Wachtwoord vergeten?" in html
    assert "Sign in to Regie" not in html

    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response, html = page(english, "/account/login/")
    assert response["Content-Language"] == "en"
    assert "Sign in to Regie" in html and "Forgot your password?" in html
    assert "Inloggen" not in html


def test_dashboard_follows_the_users_preferred_language(agent_in):
    _response, html = page(agent_in("nl"), "/")
    for dutch in ("Welkom, Sanne", "Openstaande meldingen", "Melding registreren", "Uitloggen", "In behandeling",
                  "Wacht op aanmelder"):
        assert dutch in html, dutch
    assert "Open calls" not in html

    _response, html = page(agent_in("en"), "/")
    for english in ("Good to see you, Sanne", "Open calls", "Register a call", "Sign out", "In progress",
                    "Waiting for caller"):
        assert english in html, english
    assert "Openstaande meldingen" not in html


def test_dates_and_numbers_use_the_users_locale(agent_in, venlo):
    venlo.workplace_count = 1100
    venlo.save()
    ticket = TicketFactory(requester__organisation=venlo)
    # A fixed instant in winter time: 14:07 UTC is 15:07 in Amsterdam.
    Ticket.objects.unrestricted().filter(pk=ticket.pk).update(created_at=datetime(2026, 3, 5, 14, 7, tzinfo=UTC))
    OrganisationFactory(name="Gemeente Nederweert", code="NWT", workplace_count=200)

    dutch = agent_in("nl")
    _response, html = page(dutch, "/organisations/")
    assert ">1.100<" in html and ">1,100<" not in html
    _response, html = page(dutch, f"/calls/{ticket.reference}/")
    assert "5 maart 2026 15:07" in html

    english = agent_in("en")
    _response, html = page(english, "/organisations/")
    assert ">1,100<" in html and ">1.100<" not in html
    _response, html = page(english, f"/calls/{ticket.reference}/")
    assert "5 March 2026 15:07" in html
