"""Request fulfilment in the browser: an employee finds "access" in the request catalogue,
fills the form (a personal account is refused with the reason, a group is accepted); the
manager sees it under "waiting for me" (menu badge) and approves; the provider's agent
marks the task done; the request and its call are resolved. More seeded types follow the
same path from the portal (parametrised)."""

import re

import pytest
from django.utils import timezone, translation

from regie.cmdb.choices import RelationKind
from regie.cmdb.factories import ConfigurationItemFactory, RelationFactory
from regie.fulfilment.factories import seeded_type
from regie.fulfilment.models import ServiceRequest
from regie.servicedesk.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def nl(text):
    with translation.override("nl"):
        return translation.gettext(text)


def test_access_request_from_portal_manager_approves_agent_completes(signed_in, venlo, provider, make_user):
    from playwright.sync_api import expect

    seeded_type("toegang")
    manager = make_user(venlo, "manager", first_name="Marieke", last_name="Hendriks", preferred_language="nl")
    employee = make_user(venlo, "employee", username="femke.janssen", first_name="Femke", last_name="Janssen",
                         preferred_language="nl", manager=manager)
    agent = make_user(provider, "engineer", first_name="Bas", last_name="Beheer", preferred_language="nl")

    # --- the employee finds the request in the catalogue and fills the form ------------------
    me = signed_in("employee", employee, "/requests/")
    page = me.page
    expect(page.get_by_role("heading", level=1)).to_have_text(nl("Request catalogue"))
    page.get_by_label(nl("Search requests")).fill("toegang")
    page.get_by_role("button", name=nl("Search")).click()
    page.get_by_role("link", name="Toegang of autorisatie").click()
    expect(page).to_have_url(re.compile(r"/requests/new/toegang/$"))
    page.get_by_label("Systeem").select_option("AD")
    page.get_by_label("Groep").fill("femke.janssen")
    page.get_by_label("Rechten").select_option("lezen")
    me.expect_failure(r"/requests/new/toegang/$")  # the refusal is a 400 with the form again
    page.get_by_role("button", name=nl("Submit request")).click()
    group = page.get_by_label("Groep")
    expect(group).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_group_error")).to_contain_text("persoonlijk account")
    me.screenshot("1-refused-individual-account")
    group.fill("GG_Burgerzaken_Lezen")
    page.get_by_role("button", name=nl("Submit request")).click()
    request = ServiceRequest.objects.unrestricted().get()
    expect(page).to_have_url(re.compile(rf"/requests/{request.pk}/$"))
    expect(page.locator("main")).to_contain_text(nl("waiting for approval"))
    me.screenshot("2-submitted")

    # --- the manager sees it waiting (badge) and approves -------------------------------------
    boss = signed_in("manager", manager, "/requests/waiting/")
    page = boss.page
    expect(page.get_by_role("navigation").first.locator(".badge.text-bg-danger").first).to_have_text(re.compile("1"))
    page.get_by_role("link", name=request.ticket.reference).click()
    page.get_by_label(nl("Comment (required when rejecting)")).fill("Akkoord, nodig voor de balie.")
    page.get_by_role("button", name=nl("Approve"), exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text(nl("Approved."))
    boss.screenshot("3-approved")

    # --- the agent marks the task done from the team's task list ------------------------------
    desk = signed_in("agent", agent, "/requests/tasks/")
    page = desk.page
    row = page.locator("tbody tr", has_text=request.ticket.reference)
    expect(row).to_contain_text("Groep en rechten instellen")
    desk.screenshot("4-tasks")
    row.get_by_role("button", name=nl("Done")).click()
    expect(page.locator("tbody")).to_contain_text(nl("No open tasks."))

    # --- the employee sees it fulfilled --------------------------------------------------------
    me.page.goto(f"/requests/{request.pk}/")
    expect(me.page.locator("main")).to_contain_text(nl("fulfilled"))
    me.screenshot("5-fulfilled")
    request.refresh_from_db()
    assert request.status == "fulfilled"
    assert Ticket.objects.unrestricted().get(pk=request.ticket_id).status == "resolved"
    for session in (me, boss, desk):
        session.assert_clean()


def _token_pem():
    from regie.cmdb.certificates.generate import make_ca, make_leaf

    return make_leaf(make_ca(), "www.venlo.example.nl").pem


def _world(venlo, provider, make_user):
    """Everyone a request may need: requester, manager, information advisor, account manager,
    the provider's team lead (the provider's approver) and an agent; a backed-up server, a
    standard laptop model under a valid framework contract, a laptop assigned to the requester."""
    from regie.cmdb.factories import ContractFactory, ContractLineFactory, ItemModelFactory, ItemTypeFactory

    people = {
        "manager": make_user(venlo, "manager", first_name="Marieke", last_name="Hendriks", preferred_language="nl"),
        "information_advisor": make_user(venlo, "information_advisor", first_name="Lotte", last_name="Willems",
                                         preferred_language="nl"),
        "account_manager": make_user(venlo, "account_manager", first_name="Anouk", last_name="Peeters",
                                     preferred_language="nl"),
        "provider": make_user(provider, "team_lead", first_name="Bas", last_name="Coenen", preferred_language="nl"),
        "agent": make_user(provider, "engineer", first_name="Tom", last_name="Verhoeven", preferred_language="nl"),
    }
    venlo.information_advisor = people["information_advisor"]
    venlo.account_manager = people["account_manager"]
    venlo.save()
    people["employee"] = make_user(venlo, "employee", username="femke.janssen", first_name="Femke",
                                   last_name="Janssen", preferred_language="nl", email="femke@venlo.example.nl",
                                   manager=people["manager"])
    server = ConfigurationItemFactory(organisation=venlo, name="SRV-BZ-01")
    RelationFactory(source=server, kind=RelationKind.BACKED_UP_BY,
                    target=ConfigurationItemFactory(organisation=venlo, name="Veeam Venlo"))
    model = ItemModelFactory(ci_type=ItemTypeFactory(code="laptop"), manufacturer="HP", name="EliteBook 840")
    ContractLineFactory(contract=ContractFactory(tender="Werkplek 2025"), model=model)
    ConfigurationItemFactory(organisation=venlo, name="LT-0042", assigned_to=people["employee"])
    return people


TODAY = str(timezone.localdate())

# code: the form as the requester fills it (label → (select|fill|file, value)).
FORMS = {
    "mailboxdelegatie": lambda p: {"Mailbox": ("fill", p["employee"].email),
                                   "Gemachtigde": ("select", "Marieke Hendriks"), "Rechten": ("select", "lezen")},
    "extra-opslag": lambda p: {"Map of schijf": ("fill", r"\\fs01\home\femke"),
                               "Extra capaciteit": ("fill", "25"), "Waarom": ("fill", "Scans van aktes")},
    "rsa-token": lambda p: {"Wat is er nodig": ("select", "uitgifte"), "Voor wie": ("select", "Femke Janssen")},
    "restore": lambda p: {"Systeem": ("select", "SRV-BZ-01"), "Map of bestand": ("fill", r"D:\burgerzaken"),
                          "Terugzetten naar": ("fill", TODAY)},
    "spam-vrijgeven": lambda p: {"Ontvanger": ("fill", p["employee"].email), "Afzender": ("fill", "a@leverancier.nl"),
                                 "Onderwerp": ("fill", "Offerte"), "Ontvangen op": ("fill", TODAY)},
    "aanschaf-apparatuur": lambda p: {"Merk en type": ("select", "HP EliteBook 840"), "Aantal": ("fill", "1"),
                                      "Voor wie": ("select", "Femke Janssen")},
    "aanschaf-applicatie": lambda p: {"Applicatie": ("fill", "GeoViewer"), "Leverancier": ("fill", "Geo BV"),
                                      "Aantal licenties": ("fill", "5")},
    "certificaat": lambda p: {"Certificaat": ("file", _token_pem()), "Installeren op": ("select", "SRV-BZ-01")},
    "nieuwe-medewerker": lambda p: {"Naam": ("fill", "Sanne de Vries"), "Eerste werkdag": ("fill", TODAY),
                                    "Afdeling": ("fill", "Burgerzaken"),
                                    "Leidinggevende": ("select", "Marieke Hendriks"),
                                    "Werkplek": ("select", "laptop"), "RSA-token nodig": ("check", True)},
    "vertrekkende-medewerker": lambda p: {"Medewerker": ("select", "Femke Janssen"),
                                          "Laatste werkdag": ("fill", TODAY)},
    "advies": lambda p: {"Onderwerp": ("fill", "Wi-Fi in de raadszaal"), "Geschat aantal uren": ("fill", "6")},
}
# Who decides, in order: an approval step, or "cost" for the acceptance of extra cost.
DECIDERS = {"advies": ["cost"]}


@pytest.mark.parametrize("code", sorted(FORMS))
def test_each_seeded_type_runs_from_portal_to_fulfilment(signed_in, venlo, provider, make_user, code):
    from playwright.sync_api import expect

    request_type = seeded_type(code)
    people = _world(venlo, provider, make_user)
    me = signed_in("employee", people["employee"], f"/requests/new/{code}/")
    page = me.page
    expect(page.get_by_role("heading", level=1)).to_have_text(request_type.name)
    for label, (how, value) in FORMS[code](people).items():
        field = page.get_by_label(label).first
        if how == "select":
            field.select_option(label=value)
        elif how == "file":
            field.set_input_files(files=[{"name": "www.crt", "mimeType": "application/x-x509-ca-cert",
                                          "buffer": value}])
        elif how == "check":
            field.check()
        else:
            field.fill(value)
    page.get_by_role("button", name=nl("Submit request")).click()
    request = ServiceRequest.objects.unrestricted().get()
    expect(page).to_have_url(re.compile(rf"/requests/{request.pk}/$"))
    sessions = [me]
    url = f"/requests/{request.pk}/"
    for step in DECIDERS.get(code, request_type.approval_steps):
        who = "account_manager" if step == "cost" else step
        session = signed_in(who, people[who], url)
        sessions.append(session)
        if step == "cost":
            session.page.get_by_role("button", name=nl("Accept the cost")).click()
            expect(session.page.get_by_role("alert").first).to_contain_text(nl("The cost has been accepted."))
        else:
            session.page.get_by_label(nl("Comment (required when rejecting)")).fill("Akkoord; geschikt.")
            session.page.get_by_role("button", name=nl("Approve"), exact=True).click()
            expect(session.page.get_by_role("alert").first).to_contain_text(nl("Approved."))
    desk = signed_in("agent", people["agent"], url)
    sessions.append(desk)
    done_buttons = desk.page.get_by_role("button", name=re.compile("“"))
    while done_buttons.count():
        done_buttons.first.click()
        expect(desk.page.get_by_role("alert").first).to_be_visible()
    expect(desk.page.locator("main")).to_contain_text(nl("fulfilled"))
    me.page.reload()
    expect(me.page.locator("main")).to_contain_text(nl("fulfilled"))
    me.screenshot("fulfilled")
    request.refresh_from_db()
    assert request.status == "fulfilled"
    assert Ticket.objects.unrestricted().get(pk=request.ticket_id).status == "resolved"
    for session in sessions:
        session.assert_clean()
