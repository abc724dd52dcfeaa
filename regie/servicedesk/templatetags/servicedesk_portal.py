"""Panels of the call page that bring their own data, so the page needs only an include
line: time registration (time_views.time_context) and reopening (portal_views)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def time_panel(context, ticket):
    from ..time_views import time_context

    return time_context(context["request"], ticket)


@register.simple_tag(takes_context=True)
def reopen_panel(context, ticket):
    from ..portal_views import reopen_context

    return reopen_context(context["request"], ticket)
