from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "regie.cmdb.imports"
    label = "cmdb_imports"
    verbose_name = _("CMDB imports")
