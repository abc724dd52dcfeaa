from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "regie.cmdb.certificates"
    label = "certificates"
    verbose_name = _("Certificates")

    def ready(self):
        from regie.cmdb.panels import register_item_panel

        from .panels import certificate_panel

        register_item_panel("certificates/item_panel.html", certificate_panel, order=50, key="certificates")
