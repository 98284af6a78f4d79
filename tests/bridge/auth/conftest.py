"""Fixtures for the auth tests: signing keys, and a JWKS endpoint on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


@pytest.fixture(scope="session")
def auth_signing_keys() -> dict[str, Any]:
    """One private key per asymmetric algorithm the bridge accepts by default."""
    return {
        "EdDSA": ed25519.Ed25519PrivateKey.generate(),
        "ES256": ec.generate_private_key(ec.SECP256R1()),
        "RS256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }


@dataclass
class AuthJWKSServer:
    """What the loopback key server serves, and how often it was asked."""

    url: str
    keys: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    hits: int = 0


@pytest.fixture
def auth_jwks_server() -> Iterator[AuthJWKSServer]:
    """A JWKS endpoint on a free 127.0.0.1 port; tests edit `.keys` and `.status` live."""
    state = AuthJWKSServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits += 1
            body = json.dumps({"keys": state.keys}).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/auth/jwks"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
