"""The Celery app. Tasks are acknowledged late and idempotent (see settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regie.settings")

app = Celery("regie")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
