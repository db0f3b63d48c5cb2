"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1, with STARTTLS (or TLS from the
start) on a certificate of a test CA made by trustme, and AUTH required. It keeps every message it
takes; it can refuse a recipient or drop the connection when a message for someone arrives."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = "lead@plant.example.com"
PASSWORD = "s3cret-Pa55"  # what the tests put in the environment variable, never in a file


@dataclass
class Inbox:
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipients answered 550
    drop_for: set[str] = field(default_factory=set)  # a message to one of these: the connection is cut

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if set(envelope.rcpt_tos) & self.drop_for:
            server.transport.close()
            return "421 closing"
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"

    def parsed(self) -> list[EmailMessage]:
        return [message_from_bytes(content, policy=policy.default) for _, _, content in self.messages]  # type: ignore[misc]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.parsed() if address in str(m["To"])]


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == USER.encode() and data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class MailServer:
    inbox: Inbox
    port: int
    security: str
    controller: Controller

    def settings(self, **extra: Any) -> dict[str, Any]:
        """The [email] table of a cyclekit.toml for this server."""
        if self.security == "none":
            return {"host": "127.0.0.1", "port": self.port, "security": "none", "from": "lead@plant.example.com",
                    **extra}
        return {"host": "127.0.0.1", "port": self.port, "security": self.security, "user": USER,
                "password_env": "CYCLEKIT_TEST_SMTP_PASSWORD", "from": "lead@plant.example.com", **extra}


def start_server(tmp_path: Path, monkeypatch: Any, security: str = "starttls") -> MailServer:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    ca_file = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # how a plant trusts its own CA: OpenSSL reads it
    monkeypatch.setenv("CYCLEKIT_TEST_SMTP_PASSWORD", PASSWORD)
    inbox = Inbox()
    port = free_port()
    if security == "none":  # a relay inside the plant: no TLS, no login
        controller = Controller(inbox, hostname="127.0.0.1", port=port, server_hostname="localhost")
        controller.start()
        return MailServer(inbox, port, security, controller)
    # aiosmtpd offers AUTH on a TLS connection only after STARTTLS: from the start, it is TLS already
    tls = ({"ssl_context": server_context, "auth_require_tls": False} if security == "ssl"
           else {"tls_context": server_context, "require_starttls": True})
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=_authenticate,
                            auth_required=True, server_hostname="localhost", **({"auth_require_tls": True} | tls))
    controller.start()
    return MailServer(inbox, port, security, controller)
