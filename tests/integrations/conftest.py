"""A real SMTP server (aiosmtpd) on loopback, and Regie's mail settings pointed at it.

The real-worker fixtures (`celery_worker`, `redis_url`) come from tests/worker/conftest.py."""

import asyncio
import email
import importlib.util
import socket
import threading
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller


def _load_worker_fixtures():
    path = Path(__file__).resolve().parents[1] / "worker" / "conftest.py"
    spec = importlib.util.spec_from_file_location("regie_worker_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_worker_fixtures = _load_worker_fixtures()
celery_worker = _worker_fixtures.celery_worker
redis_url = _worker_fixtures.redis_url


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """Keeps every message the server accepted. `refuse` holds addresses answered with a
    permanent 550; `delay` slows each DATA down (to make races overlap)."""

    def __init__(self):
        self.port = free_port()
        self.messages = []
        self.refuse = set()
        self.delay = 0.0
        self.hold = threading.Event()
        self.held = threading.Event()
        self.controller = None
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # While `hold` is set the client is kept waiting mid-transaction (before DATA).
        while self.hold.is_set():
            self.held.set()
            await asyncio.sleep(0.05)
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.hold.clear()
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(settings):
    sink = SmtpSink()
    sink.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.REGIE_MAIL_DOMAIN = "regie.invalid"
    yield sink
    sink.stop()
