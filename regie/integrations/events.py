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
}


def event_label(event):
    return EVENTS.get(event, event)
