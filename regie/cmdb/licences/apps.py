from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicencesConfig(AppConfig):
    name = "regie.cmdb.licences"
    label = "licences"
    verbose_name = _("Licences")

    def ready(self):
        from regie.cmdb.panels import register_item_panel

        from .panels import licence_panel

        register_item_panel("licences/item_panel.html", licence_panel, order=40, key="licences")
