"""The roles of requirements.md as permission sets (Django groups).

A role's code is the group name; `sync_roles()` runs after every migrate so the groups
and their permissions always match this table. Visibility between municipalities is
not a permission: tenancy decides that (see tenancy.py).
"""

from django.utils.translation import gettext_lazy as _

PROVIDER = "provider"
PARTICIPANT = "participant"
EXTERNAL = "external"

TICKET_BASIC = ["servicedesk.view_ticket", "servicedesk.add_ticket"]
TICKET_AGENT = [*TICKET_BASIC, "servicedesk.change_ticket", "servicedesk.handle_ticket"]

# code: (label, side, permissions)
ROLES = {
    "employee": (_("employee"), PARTICIPANT, TICKET_BASIC),
    "manager": (_("manager"), PARTICIPANT, [*TICKET_BASIC, "servicedesk.view_team_tickets"]),
    "application_admin": (_("application admin"), PARTICIPANT, TICKET_BASIC),
    "information_advisor": (_("information advisor"), PARTICIPANT, TICKET_BASIC),
    "account_manager": (
        _("account manager"), PARTICIPANT,
        [*TICKET_BASIC, "servicedesk.view_organisation_tickets", "core.view_organisation_people"],
    ),
    "representative": (
        _("representative"), PARTICIPANT,
        [*TICKET_BASIC, "servicedesk.view_organisation_tickets", "core.view_organisation_people"],
    ),
    "first_line": (_("1st-line agent"), PROVIDER, [*TICKET_AGENT, "core.view_organisation_people"]),
    "engineer": (_("engineer"), PROVIDER, [*TICKET_AGENT, "core.view_organisation_people"]),
    "on_call_engineer": (_("on-call engineer"), PROVIDER, [*TICKET_AGENT, "core.view_organisation_people"]),
    "incident_manager": (_("incident manager"), PROVIDER, [*TICKET_AGENT, "core.view_organisation_people"]),
    "team_lead": (
        _("team lead helpdesk & service management"), PROVIDER,
        [*TICKET_AGENT, "core.view_organisation_people", "core.view_auditrecord"],
    ),
    "ict_manager": (
        _("ICT manager"), PROVIDER, [*TICKET_AGENT, "core.view_organisation_people", "core.view_auditrecord"],
    ),
    "administrator": (
        _("application administrator (Regie)"), PROVIDER,
        [*TICKET_AGENT, "core.view_organisation_people", "core.view_auditrecord", "core.change_organisation"],
    ),
    "supplier": (_("supplier"), EXTERNAL, ["servicedesk.view_ticket"]),
    "auditor": (_("auditor"), EXTERNAL, ["core.view_auditrecord"]),
}


def sync_roles(**kwargs):
    from django.contrib.auth.models import Group, Permission

    for code, (_label, _side, permissions) in ROLES.items():
        group, _created = Group.objects.get_or_create(name=code)
        wanted = []
        for dotted in permissions:
            app_label, codename = dotted.split(".")
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.set(wanted)


def role_label(code):
    return ROLES[code][0] if code in ROLES else code
