"""WSGI entry for the DRF anchor (bench/anchor_app.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.anchor_settings")
application = get_wsgi_application()
