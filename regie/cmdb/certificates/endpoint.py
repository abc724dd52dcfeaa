"""Reading what a TLS endpoint serves: the leaf, the chain as sent, and whether it verifies.

Python 3.11's `ssl` gives only the leaf (`getpeercert(binary_form=True)`); the public chain
accessors arrived in 3.13. So the served chain is read honestly from the wire: a second
handshake, capped at TLS 1.2 (where the server's Certificate message is not encrypted),
runs through `ssl.MemoryBIO`, and the raw records the server sent are parsed for that
message. A server that speaks only TLS 1.3 yields the leaf alone (`full_chain_read` is
False and the check says so). Verification is a separate handshake against the system's
CAs (plus REGIE_CERTIFICATE_CA_FILE, e.g. a municipality's own CA); its error text is kept.
Host-name matching is checked separately on the leaf's SANs, so both problems show.

Every failure to connect is a result ("endpoint does not answer"), never an exception.
"""

import socket
import ssl
import time
from dataclasses import dataclass, field

HANDSHAKE = 22
CHANGE_CIPHER_SPEC = 20
CERTIFICATE_MESSAGE = 11
MAX_WIRE_BYTES = 512 * 1024


@dataclass
class ProbeResult:
    answered: bool
    error: str = ""
    leaf_der: bytes | None = None
    chain_der: list = field(default_factory=list)  # as served, leaf first
    full_chain_read: bool = False
    tls_version: str = ""
    verified: bool | None = None
    verify_error: str = ""


def _unverified_context(max_version=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if max_version is not None:
        context.maximum_version = max_version
    return context


def _read_leaf(host, port, timeout):
    with socket.create_connection((host, port), timeout=timeout) as raw:
        with _unverified_context().wrap_socket(raw, server_hostname=host) as tls:
            return tls.getpeercert(binary_form=True), tls.version() or ""


def _handshake_messages(wire):
    """The plaintext handshake messages in the server's TLS records (up to ChangeCipherSpec)."""
    payload = bytearray()
    offset = 0
    while offset + 5 <= len(wire):
        content_type = wire[offset]
        length = int.from_bytes(wire[offset + 3:offset + 5], "big")
        if offset + 5 + length > len(wire):
            break
        if content_type == CHANGE_CIPHER_SPEC:
            break
        if content_type == HANDSHAKE:
            payload += wire[offset + 5:offset + 5 + length]
        offset += 5 + length
    position = 0
    while position + 4 <= len(payload):
        kind = payload[position]
        length = int.from_bytes(payload[position + 1:position + 4], "big")
        body = bytes(payload[position + 4:position + 4 + length])
        if len(body) < length:
            break
        yield kind, body
        position += 4 + length


def parse_certificate_message(wire):
    """The DER certificates of the first TLS 1.2 Certificate message in `wire`, or []."""
    for kind, body in _handshake_messages(wire):
        if kind != CERTIFICATE_MESSAGE:
            continue
        total = int.from_bytes(body[:3], "big")
        position, end, certs = 3, min(3 + total, len(body)), []
        while position + 3 <= end:
            length = int.from_bytes(body[position:position + 3], "big")
            certs.append(body[position + 3:position + 3 + length])
            position += 3 + length
        return certs
    return []


def _read_served_chain(host, port, timeout):
    """Handshake (TLS ≤ 1.2, unverified) through memory BIOs, keeping what the server sent."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = _unverified_context(ssl.TLSVersion.TLSv1_2).wrap_bio(incoming, outgoing, server_hostname=host)
    wire = bytearray()
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as raw:
        while True:
            try:
                tls.do_handshake()
                done = True
            except ssl.SSLWantReadError:
                done = False
            pending = outgoing.read()
            if pending:
                raw.sendall(pending)
            if done:
                break
            if time.monotonic() > deadline or len(wire) > MAX_WIRE_BYTES:
                raise TimeoutError("handshake took too long")
            data = raw.recv(65536)
            if not data:
                raise ConnectionError("the server closed the connection during the handshake")
            wire += data
            incoming.write(data)
    return parse_certificate_message(bytes(wire))


def _verify(host, port, timeout, cafile=None, cadata=None):
    context = ssl.create_default_context()
    if cafile:
        context.load_verify_locations(cafile=cafile)
    if cadata:
        context.load_verify_locations(cadata=cadata)
    # The host name is matched separately (parsing.hostname_matches), so this error is the chain's.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            with context.wrap_socket(raw, server_hostname=host):
                return True, ""
    except ssl.SSLCertVerificationError as exc:
        return False, (exc.verify_message or str(exc))[:500]
    except (ssl.SSLError, OSError) as exc:
        return False, str(exc)[:500]


def _describe_error(exc):
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror or exc})"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed ({exc.reason or exc})"
    return str(exc) or exc.__class__.__name__


def probe(host, port, *, timeout=10.0, cafile=None, cadata=None):
    """Connect to host:port with TLS (SNI = host) and report what it serves. Never raises
    for network or TLS trouble: that is `answered=False` with the reason in `error`."""
    try:
        leaf, version = _read_leaf(host, port, timeout)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return ProbeResult(answered=False, error=_describe_error(exc))
    result = ProbeResult(answered=True, leaf_der=leaf, chain_der=[leaf] if leaf else [], tls_version=version)
    try:
        chain = _read_served_chain(host, port, timeout)
    except (OSError, ssl.SSLError, ValueError, ConnectionError):
        chain = []
    if chain and chain[0] == leaf:
        result.chain_der, result.full_chain_read = chain, True
    result.verified, result.verify_error = _verify(host, port, timeout, cafile=cafile, cadata=cadata)
    return result
