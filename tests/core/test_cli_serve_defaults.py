"""`regie serve` on another port: links in e-mail and the API description follow the port."""

from regie.cli import serve_defaults


def test_public_url_follows_the_port():
    environ = {"PORT": "8123"}
    assert serve_defaults(environ) == "8123"
    assert environ["REGIE_PUBLIC_URL"] == "http://localhost:8123"
    assert environ["REGIE_DEMO_MODE"] == "1"


def test_default_port_and_explicit_settings_are_kept():
    environ = {"REGIE_PUBLIC_URL": "https://regie.example.nl", "REGIE_DEMO_MODE": "0"}
    assert serve_defaults(environ) == "8000"
    assert environ["REGIE_PUBLIC_URL"] == "https://regie.example.nl"
    assert environ["REGIE_DEMO_MODE"] == "0"
