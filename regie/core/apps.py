from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "regie.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import roles, signals  # noqa: F401

        post_migrate.connect(_sync_roles_once, dispatch_uid="regie-sync-roles")


def _sync_roles_once(sender, **kwargs):
    # post_migrate fires per app; syncing each time is idempotent and cheap, and the
    # last call sees every app's permissions.
    if sender.name.startswith("regie."):
        from .roles import sync_roles

        sync_roles()
    if sender.name == "django_celery_beat":
        # Periodic jobs exist as soon as the database does, whatever starts beat.
        from regie.schedules import sync_schedules

        sync_schedules()
