"""Panels on a configuration item's page, contributed by the parts of the CMDB.

The item page (item_views.ItemDetailView) renders, after its own fields, every panel
registered here in `order`. A part of the CMDB (relations, licences, certificates …)
registers its panel once, e.g. in its AppConfig.ready():

    from regie.cmdb.panels import register_item_panel

    def licence_panel(request, item):
        rows = list(Assignment.objects.for_user(request.user).filter(item=item)[:20])
        return {"assignments": rows}          # or None: the panel is not shown

    register_item_panel("licences/item_panel.html", licence_panel, order=40, key="licences")

The template is included with the context of the item page plus `panel` (the dict the
function returned), `item` and `panel_key`. Start it with a <section> holding an <h2
class="h6">, like the built-in ones. Context functions see the request, so they scope their
own queries (`for_user(request.user)`) and must not cause a query per row (the item page's
query count is asserted in the tests). Registering the same key again replaces the panel.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ItemPanel:
    key: str
    template_name: str
    context_fn: object
    order: int


_PANELS = {}


def register_item_panel(template_name, context_fn=None, order=100, key=None):
    """Add (or replace, by `key`, default the template name) a panel of the item page.
    `context_fn(request, item)` returns a dict for the template, or None to hide the panel."""
    key = key or template_name
    _PANELS[key] = ItemPanel(key=key, template_name=template_name, context_fn=context_fn, order=order)
    return _PANELS[key]


def unregister_item_panel(key):
    _PANELS.pop(key, None)


def registered_panels():
    return sorted(_PANELS.values(), key=lambda panel: (panel.order, panel.key))


def panels_for(request, item):
    """[{"key", "template_name", "context"}] to render on `item`'s page, in order."""
    shown = []
    for panel in registered_panels():
        context = panel.context_fn(request, item) if panel.context_fn is not None else {}
        if context is None:
            continue
        shown.append({"key": panel.key, "template_name": panel.template_name, "context": context})
    return shown


# --- built-in panels --------------------------------------------------------------------------

def _relations_panel(request, item):
    from . import relations as rules

    if not request.user.has_perm("cmdb.view_relation"):
        return None
    outgoing, incoming = rules.relations_of(request.user, item)
    return {
        "outgoing": outgoing[:15], "incoming": incoming[:15],
        "more": max(0, len(outgoing) - 15) + max(0, len(incoming) - 15),
        "hidden_count": rules.hidden_relation_count(request.user, item),
    }


def _timeline_panel(request, item):
    from .timeline import timeline_page

    page = timeline_page(request.user, item, cursor=None, page_size=8)
    return {"entries": page.items, "has_more": page.has_next}


register_item_panel("cmdb/item_panel_relations.html", _relations_panel, order=10, key="relations")
register_item_panel("cmdb/item_panel_timeline.html", _timeline_panel, order=90, key="timeline")
