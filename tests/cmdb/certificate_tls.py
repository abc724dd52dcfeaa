"""Real TLS servers on 127.0.0.1 for the certificate tests, serving certificates the test
made with `cryptography` (regie.cmdb.certificates.generate). No mocks: the code under test
connects over loopback as it would to a municipality's website."""

import socket
import ssl
import tempfile
import threading
from pathlib import Path


class TLSServer:
    """Serves `leaf` (with `chain`) until stopped; a context manager. `max_version` caps TLS."""

    def __init__(self, leaf, chain=(), max_version=None):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if max_version is not None:
            self.context.maximum_version = max_version
        with tempfile.TemporaryDirectory() as folder:
            certfile, keyfile = Path(folder) / "chain.pem", Path(folder) / "key.pem"
            certfile.write_bytes(leaf.pem + b"".join(c.pem for c in chain))
            keyfile.write_bytes(leaf.key_pem)
            self.context.load_cert_chain(certfile, keyfile)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.handshakes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while not self._stop.is_set():
            try:
                connection, _address = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            connection.settimeout(2)
            try:
                with self.context.wrap_socket(connection, server_side=True) as tls:
                    self.handshakes += 1
                    try:
                        tls.recv(1)
                    except (OSError, ssl.SSLError):
                        pass
            except (OSError, ssl.SSLError):
                connection.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        self.listener.close()


class SilentServer:
    """Accepts connections and never says a word (a firewall that swallows the handshake)."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held = []
        self._stop = threading.Event()
        self.listener.settimeout(0.2)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while not self._stop.is_set():
            try:
                connection, _address = self.listener.accept()
                self.held.append(connection)
            except (TimeoutError, OSError):
                continue

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        for connection in self.held:
            connection.close()
        self.listener.close()


def closed_port():
    """A loopback port nobody listens on (connection refused)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]
