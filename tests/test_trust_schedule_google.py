"""Google failures before any answer (no network, a revoked key) and refusals (403, 404) are one
line naming what to check, never a traceback, never a piece of the key."""

from __future__ import annotations

import json

import google.auth.transport.requests
import gspread
import pytest
import requests
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import Credentials

from cyclekit.backends import gsheets
from cyclekit.backends.gsheets import GoogleError, GoogleSession
from cyclekit.backends.spec import Column, Sheet, WorkbookSpec
from cyclekit.cli import cli
from tests import sheets_fake as fake_module
from tests.helpers import INVENTORY_HEADER, inventory_rows, write_csv

sheets_fake = fake_module.sheets_fake
gspread_client = fake_module.gspread_client


def tiny_spec() -> WorkbookSpec:
    return WorkbookSpec([Sheet("One", columns=[Column("A", 10)], rows=[["000812"]])], title="tiny")


@pytest.fixture
def key_file(tmp_path):
    """A service-account key of valid shape: a real RSA key, a made-up account."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    info = {"type": "service_account", "project_id": "plant-1", "private_key_id": "0123456789abcdef" * 2 + "0123",
            "private_key": pem, "client_email": "cyclekit@plant-1.iam.gserviceaccount.com",
            "client_id": "123456789012345678901", "token_uri": "https://oauth2.googleapis.com/token",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth"}
    path = tmp_path / "key.json"
    path.write_text(json.dumps(info))
    return path, pem


@pytest.fixture
def no_network(monkeypatch):
    """Every HTTP request fails as it does without a network (name resolution)."""
    def refuse(self, request, *args, **kwargs):
        raise requests.ConnectionError(f"HTTPSConnectionPool(host={request.url!r}): Max retries exceeded "
                                       "(Caused by NameResolutionError: Temporary failure in name resolution)")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)


def assert_one_clean_line(result, pem: str = "") -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    body = "".join(pem.splitlines()[1:-1])
    for piece in (body[i:i + 16] for i in range(0, len(body), 16)):  # no 16 characters of the key
        assert piece not in result.output
    assert "PRIVATE KEY" not in result.output
    return lines[0]


def test_a_valid_key_without_network_is_one_line_naming_the_network(key_file, no_network, tmp_path):
    path, pem = key_file
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    result = CliRunner().invoke(cli, ["schedule", str(inventory), "--format", "gsheets", "--credentials", str(path),
                                      "--folder", "F1"])
    line = assert_one_clean_line(result, pem)
    assert "could not reach Google" in line and "proxy" in line


def test_a_transport_error_from_gspread_is_a_google_error(key_file, no_network):
    path, _ = key_file
    session = GoogleSession(gsheets.google_client(str(path)), sleep=lambda s: None, progress=lambda t: None)
    with pytest.raises(GoogleError, match="could not reach Google"):
        gsheets.render_gsheets(tiny_spec(), session)


class RevokedKey(Credentials):
    """Credentials whose token refresh fails as Google answers a revoked or deleted key."""

    service_account_email = "cyclekit@plant-1.iam.gserviceaccount.com"

    def refresh(self, request):
        raise auth_exceptions.RefreshError(
            "invalid_grant: Invalid JWT Signature.",
            {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})


def revoked_client(fake) -> gspread.Client:
    """A real gspread client that reaches the fake only, with credentials that cannot refresh."""
    credentials = RevokedKey()
    session = google.auth.transport.requests.AuthorizedSession(credentials)
    adapter = fake_module.FakeSheetsAdapter(fake)
    for prefix in ("https://", "http://"):
        session.mount(prefix, fake_module.RefuseNetworkAdapter(fake))
    session.mount(f"https://{fake_module.SHEETS_HOST}/", adapter)
    client = gspread.Client(credentials, session=session)
    client.http_client.auth = credentials
    return client


def test_a_revoked_or_expired_key_is_one_line_naming_the_key(sheets_fake):
    session = GoogleSession(revoked_client(sheets_fake), sleep=lambda s: pytest.fail("no retry"),
                            progress=lambda t: None)
    with pytest.raises(GoogleError) as caught:
        gsheets.render_gsheets(tiny_spec(), session)
    message = str(caught.value)
    assert "invalid_grant" in message and "revoked" in message and "expired" in message
    assert "JWT" not in message and "\n" not in message
    assert sheets_fake.count() == 0  # nothing reached Google


def test_a_revoked_key_through_the_command(sheets_fake, monkeypatch, tmp_path):
    monkeypatch.setattr(gsheets, "google_client", lambda credentials=None: revoked_client(sheets_fake))
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    result = CliRunner().invoke(cli, ["schedule", str(inventory), "--format", "gsheets"])
    assert "Google refused the credentials (invalid_grant)" in assert_one_clean_line(result)


def test_403_names_sharing_and_the_account(gspread_client, sheets_fake):
    session = GoogleSession(gspread_client, sleep=lambda s: pytest.fail("no retry"), progress=lambda t: None)
    sheets_fake.inject_fault(403)
    with pytest.raises(GoogleError, match=r"\(403\).*shared with .* as an editor"):
        gsheets.render_gsheets(tiny_spec(), session)


def test_404_names_the_id_and_sharing(gspread_client, sheets_fake):
    session = GoogleSession(gspread_client, sleep=lambda s: pytest.fail("no retry"), progress=lambda t: None)
    with pytest.raises(GoogleError, match=r"could not find it \(404\).*Check the id or URL.*shared with"):
        gsheets.metadata_tabs(session, "1NoSuchSpreadsheet000000000000000000000000")


@pytest.mark.parametrize("content", [b"{not json", b"\x00\xff\xfe binary", b'{"type": "service_account"}',
                                     b"[]"])
def test_a_broken_key_file_is_one_line_without_its_content(content, tmp_path):
    path = tmp_path / "key.json"
    path.write_bytes(content)
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    result = CliRunner().invoke(cli, ["schedule", str(inventory), "--format", "gsheets", "--credentials", str(path)])
    line = assert_one_clean_line(result)
    assert "credentials" in line


def test_a_folder_given_as_the_key_file_is_one_line(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    (tmp_path / "keys").mkdir()
    result = CliRunner().invoke(cli, ["schedule", str(inventory), "--format", "gsheets",
                                      "--credentials", str(tmp_path / "keys")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1].startswith("Error: Invalid value for '--credentials'")
