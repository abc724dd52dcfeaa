"""The events people can be notified about, with the label shown on the preferences page.

`notify()` accepts other event keys too (they render with the default templates and are
always on); list an event here to let people switch it off.
"""

from django.utils.translation import gettext_lazy as _

EVENTS = {
    "ticket.created": _("A call was registered"),
    "ticket.replied": _("A reply was added to a call"),
    "ticket.assigned": _("A call was assigned to you or your team"),
    "ticket.term_warning": _("A resolution term is nearly used up"),
    "ticket.term_exceeded": _("A resolution term has not been met"),
    "ticket.escalated": _("A call was escalated"),
    "ticket.resolved": _("A call was resolved"),
    # Sent by the calamity procedure (servicedesk/calamity.py) to the affected participants' contacts.
    "calamity.update": _("A progress update on a calamity affecting your organisation"),
    # Sent by the daily CMDB expiry jobs (cmdb/contracts.py, licences/services.py, certificates/services.py).
    "contract.expiring": _("A contract nears its end date"),
    "licence.expiring": _("A licence entitlement nears its end date"),
    "certificate.expiring": _("A certificate nears its expiry date"),
    # Sent by change management (changes/services.py); the board's requests stay always on.
    "change.decided": _("The change advisory board decided on your change"),
}


def event_label(event):
    return EVENTS.get(event, event)
