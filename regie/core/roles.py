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
# Keeping the canned responses of the reply form (team leads and Regie's administrators).
CANNED_RESPONSES = [
    "servicedesk.view_cannedresponse", "servicedesk.add_cannedresponse", "servicedesk.change_cannedresponse",
    "servicedesk.delete_cannedresponse",
]

# CMDB: participants read their own organisation's items; provider staff keep the CMDB.
CMDB_READ = ["cmdb.view_configurationitem", "cmdb.view_relation", "cmdb.view_contract", "cmdb.view_supplier"]
CMDB_KEEP = [
    *CMDB_READ,
    "cmdb.add_configurationitem", "cmdb.change_configurationitem", "cmdb.delete_configurationitem",
    "cmdb.add_relation", "cmdb.change_relation", "cmdb.delete_relation",
    "cmdb.add_affecteditem", "cmdb.delete_affecteditem",
    "cmdb.add_configurationitemmodel", "cmdb.change_configurationitemmodel",
]
CMDB_MANAGE = [
    *CMDB_KEEP,
    "cmdb.approve_configurationitemmodel",
    "cmdb.add_contract", "cmdb.change_contract", "cmdb.delete_contract",
    "cmdb.add_supplier", "cmdb.change_supplier", "cmdb.delete_supplier",
    "cmdb.change_configurationitemtype",
]

# Changes (ITIL): participants read their own; provider staff keep them; the change advisory
# board (team lead and ICT manager) approves or rejects. Appended to the roles below ROLES.
CHANGES_READ = ["changes.view_change"]
CHANGES_KEEP = [*CHANGES_READ, "changes.add_change", "changes.change_change"]
CHANGES_CAB = [*CHANGES_KEEP, "changes.approve_change"]
CHANGES_BY_ROLE = {
    **dict.fromkeys(("manager", "application_admin", "information_advisor", "account_manager", "representative"),
                    CHANGES_READ),
    **dict.fromkeys(("first_line", "engineer", "on_call_engineer", "incident_manager", "administrator"),
                    CHANGES_KEEP),
    **dict.fromkeys(("team_lead", "ict_manager"), CHANGES_CAB),
}

# code: (label, side, permissions)
ROLES = {
    "employee": (_("employee"), PARTICIPANT, TICKET_BASIC),
    "manager": (_("manager"), PARTICIPANT, [*TICKET_BASIC, "servicedesk.view_team_tickets", *CMDB_READ]),
    "application_admin": (_("application admin"), PARTICIPANT, [*TICKET_BASIC, *CMDB_READ]),
    "information_advisor": (_("information advisor"), PARTICIPANT, [*TICKET_BASIC, *CMDB_READ]),
    "account_manager": (
        _("account manager"), PARTICIPANT,
        [*TICKET_BASIC, "servicedesk.view_organisation_tickets", "core.view_organisation_people", *CMDB_READ],
    ),
    "representative": (
        _("representative"), PARTICIPANT,
        [*TICKET_BASIC, "servicedesk.view_organisation_tickets", "core.view_organisation_people", *CMDB_READ],
    ),
    "first_line": (_("1st-line agent"), PROVIDER, [*TICKET_AGENT, "core.view_organisation_people", *CMDB_KEEP]),
    "engineer": (_("engineer"), PROVIDER, [*TICKET_AGENT, "core.view_organisation_people", *CMDB_KEEP]),
    "on_call_engineer": (
        _("on-call engineer"), PROVIDER, [*TICKET_AGENT, "core.view_organisation_people", *CMDB_KEEP]
    ),
    "incident_manager": (
        _("incident manager"), PROVIDER, [*TICKET_AGENT, "core.view_organisation_people", *CMDB_KEEP]
    ),
    "team_lead": (
        _("team lead helpdesk & service management"), PROVIDER,
        [*TICKET_AGENT, "core.view_organisation_people", "core.view_auditrecord", *CMDB_MANAGE, *CANNED_RESPONSES],
    ),
    "ict_manager": (
        _("ICT manager"), PROVIDER,
        [*TICKET_AGENT, "core.view_organisation_people", "core.view_auditrecord", *CMDB_MANAGE],
    ),
    "administrator": (
        _("application administrator (Regie)"), PROVIDER,
        [
            *TICKET_AGENT, "core.view_organisation_people", "core.view_auditrecord", "core.change_organisation",
            *CMDB_MANAGE, *CANNED_RESPONSES,
        ],
    ),
    "supplier": (_("supplier"), EXTERNAL, ["servicedesk.view_ticket"]),
    "auditor": (_("auditor"), EXTERNAL, ["core.view_auditrecord", *CMDB_READ]),
}

for _code, _extra in CHANGES_BY_ROLE.items():
    ROLES[_code] = (ROLES[_code][0], ROLES[_code][1], [*ROLES[_code][2], *_extra])

# The agreement (DVO) is common to all parties: provider staff, the participants'
# representatives and account managers, and auditors read it; provider leads propose
# changes (representatives may too, by being the representative); the ICT manager and
# Regie's administrators record signatures and upload the signed documents.
AGREEMENT_READ = ["agreement.view_agreement"]
AGREEMENT_PROPOSE = [*AGREEMENT_READ, "agreement.add_changeproposal"]
AGREEMENT_MANAGE = [*AGREEMENT_PROPOSE, "agreement.change_agreement"]
AGREEMENT_BY_ROLE = {
    **dict.fromkeys(("representative", "account_manager", "auditor", "first_line", "engineer", "on_call_engineer",
                     "incident_manager"), AGREEMENT_READ),
    "team_lead": AGREEMENT_PROPOSE,
    **dict.fromkeys(("ict_manager", "administrator"), AGREEMENT_MANAGE),
}
for _code, _extra in AGREEMENT_BY_ROLE.items():
    ROLES[_code] = (ROLES[_code][0], ROLES[_code][1], [*ROLES[_code][2], *_extra])


# Request fulfilment: everyone who registers calls submits and follows service requests;
# the provider's agents carry out the fulfilment tasks.
FULFILMENT_READ = ["fulfilment.view_servicerequest", "fulfilment.add_servicerequest"]
FULFILMENT_AGENT = [*FULFILMENT_READ, "fulfilment.view_fulfilmenttask", "fulfilment.fulfil_request"]
for _code, (_label, _side, _permissions) in list(ROLES.items()):
    if "servicedesk.add_ticket" in _permissions:
        _extra = FULFILMENT_AGENT if "servicedesk.handle_ticket" in _permissions else FULFILMENT_READ
        ROLES[_code] = (_label, _side, [*_permissions, *_extra])


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
