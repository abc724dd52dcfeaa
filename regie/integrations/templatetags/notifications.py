from django import template

from ..services import unread_count

register = template.Library()


@register.inclusion_tag("integrations/badge.html", takes_context=True)
def notification_badge(context):
    """The bell in the navbar with the number of unread notifications (one COUNT query)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    count = unread_count(user) if user is not None and user.is_authenticated else 0
    return {"count": count, "request": request}
