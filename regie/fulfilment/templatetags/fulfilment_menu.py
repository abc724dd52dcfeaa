from django import template

register = template.Library()


@register.inclusion_tag("fulfilment/_badge.html", takes_context=True)
def waiting_badge(context):
    """How many approvals (and cost acceptances) wait for the signed-in person."""
    request = context.get("request")
    user = getattr(request, "user", None)
    count = 0
    if user is not None and user.is_authenticated:
        from regie.fulfilment.services import waiting_count

        count = waiting_count(user)
    return {"count": count}
