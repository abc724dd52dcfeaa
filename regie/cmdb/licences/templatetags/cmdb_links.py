"""Links to configuration items from the contract and licence pages."""

from django import template
from django.urls import NoReverseMatch

register = template.Library()


@register.filter
def item_url(item):
    """The item's page, or "" while the item pages are not installed (plain text then)."""
    try:
        return item.get_absolute_url()
    except NoReverseMatch:
        return ""
