"""Messages with attachments, written as .eml files or sent through an SMTP server.

Built with the standard library's email package (RFC 5322, MIME) and sent with smtplib, as the
[email] settings say. The password is read from the environment variable the settings name,
only when connecting, and never shown: not in an error, not in a file.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import os
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from pathlib import Path
from types import TracebackType

from cyclekit.atomic import write_bytes_atomic
from cyclekit.config import EmailConfig
from cyclekit.errors import ConfigError, CyclekitError

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
_ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\.]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def usable_address(text: str) -> bool:
    """An address a message can go to: name@domain.tld, nothing that could add a header or a
    second recipient (a line break, a comma), and one the email package takes."""
    if not _ADDRESS.fullmatch(text) or ".." in text:
        return False
    try:
        Address(addr_spec=text)
    except (ValueError, IndexError, HeaderParseError):
        return False
    return True


def display_name(text: str) -> str:
    """A person's name as it can stand before their address: one line, of bounded length."""
    return " ".join(_CONTROL.sub(" ", text).split())[:100]


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes

    @property
    def content_type(self) -> str:
        if self.name.lower().endswith(".xlsx"):
            return XLSX_TYPE
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"


@dataclass(frozen=True)
class Outgoing:
    """One message to build: who gets it and what it says and carries."""

    to: str
    subject: str
    body: str
    attachments: list[Attachment] = field(default_factory=list)
    to_name: str = ""


def build_message(outgoing: Outgoing, settings: EmailConfig, when: dt.datetime) -> EmailMessage:
    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = outgoing.subject
    if settings.sender:
        message["From"] = settings.sender
    name = display_name(outgoing.to_name)
    message["To"] = Address(display_name=name, addr_spec=outgoing.to) if name else outgoing.to
    if settings.cc:
        message["Cc"] = ", ".join(settings.cc)
    if settings.reply_to:
        message["Reply-To"] = settings.reply_to
    message["Date"] = format_datetime(when)
    domain = settings.sender.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid("cyclekit", domain=domain)
    message.set_content(outgoing.body)
    for item in outgoing.attachments:
        main, _, sub = item.content_type.partition("/")
        message.add_attachment(item.data, maintype=main, subtype=sub, filename=item.name)
    return message


def write_eml(message: EmailMessage, path: Path) -> None:
    """A standard .eml file, marked unsent: Outlook opens it as a message ready to send, other
    clients as a message to forward or "edit as new"."""
    if "X-Unsent" not in message:
        message["X-Unsent"] = "1"
    write_bytes_atomic(path, message.as_bytes(policy=SMTP_POLICY))


class SendFailed(CyclekitError):
    """One message not sent; `dropped`: the server closed the connection (connect again for the next)."""

    def __init__(self, message: str, dropped: bool = False) -> None:
        super().__init__(message)
        self.dropped = dropped


def _password(settings: EmailConfig) -> str:
    if not settings.password_env:
        raise ConfigError("email.user is set but email.password_env is not: name the environment variable "
                          "that holds the mail password (the password itself is never kept in the config)")
    password = os.environ.get(settings.password_env)
    if not password:
        raise ConfigError(f"the mail password is not set: set the environment variable {settings.password_env} "
                          "(named by email.password_env)")
    return password


def _connect(settings: EmailConfig) -> smtplib.SMTP:
    if not settings.host:
        raise ConfigError("[email] host is not set in cyclekit.toml: name the mail server (or use --dry-run "
                          "to write .eml files instead)")
    if not settings.sender:
        raise ConfigError("[email] from is not set in cyclekit.toml: the address the messages are sent from")
    password = _password(settings) if settings.user else ""  # before connecting: no connection left open
    port = settings.port or DEFAULT_PORTS[settings.security]
    where = f"{settings.host}:{port}"
    context = ssl.create_default_context()  # certificates checked (SSL_CERT_FILE names a company CA)
    try:
        if settings.security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, port, timeout=settings.timeout, context=context)
        else:
            server = smtplib.SMTP(settings.host, port, timeout=settings.timeout)
            if settings.security == "starttls":
                server.starttls(context=context)
    except ssl.SSLError as exc:
        raise CyclekitError(f"mail server {where}: secure connection failed ({exc.reason or exc}); "
                            "nothing was sent") from None
    except smtplib.SMTPNotSupportedError:
        raise CyclekitError(f"mail server {where} does not offer STARTTLS; set email.security to the one it "
                            "offers (ssl or none); nothing was sent") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise CyclekitError(f"cannot reach the mail server {where} ({exc.__class__.__name__}: {exc}); "
                            "nothing was sent") from None
    _log_in(server, settings, password, where)
    return server


def _log_in(server: smtplib.SMTP, settings: EmailConfig, password: str, where: str) -> None:
    if not settings.user:
        return
    try:
        server.login(settings.user, password)
    except smtplib.SMTPAuthenticationError:
        server.close()
        raise CyclekitError(f"mail server {where} refused the user {settings.user} and the password in "
                            f"{settings.password_env}; nothing was sent") from None
    except (OSError, smtplib.SMTPException) as exc:
        server.close()
        raise CyclekitError(f"mail server {where}: could not log in ({exc.__class__.__name__}); "
                            "nothing was sent") from None


def _reason(response: bytes | str) -> str:
    text = response.decode("utf-8", "replace") if isinstance(response, bytes) else response
    return " ".join(text.split())[:200]


class MailServer:
    """A connection to the configured server, made again once after the server drops it."""

    def __init__(self, settings: EmailConfig) -> None:
        self.settings = settings
        self._server: smtplib.SMTP | None = None

    def __enter__(self) -> MailServer:
        self._server = _connect(self.settings)
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._server is not None:
            try:
                self._server.quit()
            except (OSError, smtplib.SMTPException):
                self._server.close()
            self._server = None

    def send(self, message: EmailMessage) -> dict[str, str]:
        """Send one message; returns the recipients the server refused while taking it for the others.
        Raises SendFailed when it took it for nobody."""
        if self._server is None:
            self._server = _connect(self.settings)  # the last message's server dropped the connection
        try:
            refused = self._server.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            if self._server.sock is None:  # a 421: the server closed the connection as it refused
                self._server = None
            raise SendFailed("refused: " + "; ".join(f"{who} ({_reason(why)})"
                                                     for who, (_, why) in exc.recipients.items())) from None
        except smtplib.SMTPServerDisconnected:
            self._server = None
            raise SendFailed("the mail server dropped the connection before taking it", dropped=True) from None
        except smtplib.SMTPResponseException as exc:
            if self._server.sock is None:
                self._server = None
            raise SendFailed(f"refused by the mail server ({exc.smtp_code} {_reason(exc.smtp_error)})") from None
        except (OSError, smtplib.SMTPException) as exc:
            self._server = None
            raise SendFailed(f"the connection failed ({exc.__class__.__name__})", dropped=True) from None
        return {who: _reason(why) for who, (_, why) in refused.items()}

