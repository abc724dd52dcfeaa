"""Nothing collected for serving refers to a CDN: municipal networks are closed, the CSP strict."""

import re

from django.contrib.staticfiles import finders
from django.core.management import call_command

CDN = re.compile(rb"https?://(cdn\.|unpkg\.com|cdnjs\.|fonts\.googleapis|ajax\.googleapis|code\.jquery)")


def test_the_redoc_bundle_is_not_collected_and_swagger_is(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)
    collected = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any("swagger-ui-dist" in str(path) for path in collected)
    assert not any("/redoc/" in str(path) for path in collected)
    offenders = [str(path) for path in collected if path.suffix in (".js", ".css", ".html")
                 and CDN.search(path.read_bytes())]
    assert offenders == []
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
