"""`regie serve` sizes gunicorn by the machine's cores unless told otherwise."""

from regie.cli import web_processes


def test_default_is_two_per_core_plus_one_with_two_threads(monkeypatch):
    monkeypatch.delenv("REGIE_WEB_WORKERS", raising=False)
    monkeypatch.delenv("REGIE_WEB_THREADS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert web_processes() == ("5", "2")
    monkeypatch.setattr("os.cpu_count", lambda: 32)
    assert web_processes() == ("9", "2")  # capped: every thread holds a database connection
    monkeypatch.setattr("os.cpu_count", lambda: None)
    assert web_processes() == ("3", "2")


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("REGIE_WEB_WORKERS", "4")
    monkeypatch.setenv("REGIE_WEB_THREADS", "8")
    assert web_processes() == ("4", "8")
