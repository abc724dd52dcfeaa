"""Regie: service management for a shared-service ICT organisation and its municipalities."""

from .celery import app as celery_app

__all__ = ["celery_app"]
