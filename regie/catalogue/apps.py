from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "regie.catalogue"
    label = "catalogue"
    verbose_name = _("Service catalogue")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .models import BusinessCalendar, PriorityMatrixEntry, SlaTarget
        from .services import forget_config

        for model in (BusinessCalendar, PriorityMatrixEntry, SlaTarget):
            post_save.connect(forget_config, sender=model, dispatch_uid=f"forget-config-save-{model.__name__}")
            post_delete.connect(forget_config, sender=model, dispatch_uid=f"forget-config-delete-{model.__name__}")
