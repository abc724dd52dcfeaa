from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    name = "regie.changes"
    label = "changes"
    verbose_name = _("Changes")

    def ready(self):
        from regie.cmdb.panels import register_item_panel

        from .panels import change_panel

        register_item_panel("changes/item_panel.html", change_panel, order=50, key="changes")
