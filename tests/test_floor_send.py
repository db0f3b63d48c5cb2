"""`cyclekit send`: each counter's sheets by e-mail, through a real SMTP server (aiosmtpd) with
STARTTLS and AUTH; messages parsed back with the standard library's email package."""

from __future__ import annotations

import datetime as dt
import json
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from cyclekit.cli import cli
from cyclekit.config import Config, parse_config
from cyclekit.errors import ConfigError, CyclekitError
from cyclekit.stages import schedule as api
from cyclekit.stages.send import send_cycle
from cyclekit.stages.sheets import Selection, start_cycle
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, inventory_rows, write_csv, write_manifest
from tests.mail_server import PASSWORD, free_port, start_server

AS_OF = dt.date(2026, 11, 23)
OWNERS = {"ana@plant.example.com": {"WH-A-01", "WH-A-02"}, "bo@plant.example.com": {"CAGE-01", "LS-1"},
          "cy@plant.example.com": {"MRB-01"}}


@pytest.fixture
def plant(tmp_path: Path) -> tuple[Path, Path]:
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    locations = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER, [
        ["WH-A-01", "Warehouse A", "Ana Ruiz", "ana@plant.example.com", "", "", ""],
        ["WH-A-02", "Warehouse A", "Ana Ruiz", "ana@plant.example.com", "", "", ""],
        ["CAGE-01", "Cage", "Bo Lind", "bo@plant.example.com", "", "", ""],
        ["LS-1", "Lineside", "Bo Lind", "bo@plant.example.com", "", "", ""],
        ["MRB-01", "MRB", "Cy Park", "cy@plant.example.com", "", "", ""],
        ["EMPTY-9", "Warehouse B", "Nobody", "", "", "", ""],
    ])
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), locations=locations, as_of=AS_OF)
    return schedule, inventory


@pytest.fixture
def server(tmp_path, monkeypatch):
    running = start_server(tmp_path, monkeypatch)
    yield running
    running.controller.stop()


def make_cycle(plant, tmp_path, **kwargs) -> Path:
    schedule, inventory = plant
    report = start_cycle(schedule, inventory, tmp_path / "cycle", Config(), as_of=AS_OF,
                         selection=Selection(all=True), force=True, **kwargs)
    return report.cycle_dir


def config_for(server, **extra) -> Config:
    return parse_config({"email": server.settings(**extra)})


def manifest(cycle_dir: Path) -> dict:
    return json.loads((cycle_dir / "manifest.json").read_text())


def files_of(cycle_dir: Path, address: str) -> dict[str, bytes]:
    """The files a counter must get: the sheets of their locations, and their PDFs when made."""
    records = [s for s in manifest(cycle_dir)["sheets"] if s["location"] in OWNERS[address]]
    names = {Path(s["file"]) for s in records}
    pdfs = {Path("pdf") / f"{p.stem}.pdf" for p in names if (cycle_dir / "pdf" / f"{p.stem}.pdf").is_file()}
    return {p.name: (cycle_dir / p).read_bytes() for p in names | pdfs}


def attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def test_one_message_per_counter_with_their_sheets_over_starttls_and_auth(plant, tmp_path, server, soffice):
    cycle_dir = make_cycle(plant, tmp_path, pdf=True)
    report = send_cycle(cycle_dir, config_for(server, cc=["lead@plant.example.com"],
                                              reply_to="counts@plant.example.com"))
    assert sorted(to for to, _ in report.sent) == sorted(OWNERS)
    assert report.no_address == ["EMPTY-9"] and not report.failed
    assert len(server.inbox.messages) == 3
    for address in OWNERS:
        [message] = server.inbox.to(address)
        expected = files_of(cycle_dir, address)
        assert any(name.endswith(".pdf") for name in expected)  # the PDFs were made: they go too
        assert attachments(message) == expected  # exactly their sheets, byte for byte
        assert message["Cc"] == "lead@plant.example.com" and message["Reply-To"] == "counts@plant.example.com"
        assert manifest(cycle_dir)["cycle_id"] in message["Subject"]
        body = message.get_body(("plain",)).get_content()
        assert all(location in body for location in OWNERS[address])
        assert "2026-11-23" in body
    envelope_to = {tuple(sorted(rcpt)) for _, rcpt, _ in server.inbox.messages}
    assert ("ana@plant.example.com", "lead@plant.example.com") in envelope_to
    sent = manifest(cycle_dir).get("sent", [])
    assert sorted(r["to"] for r in sent) == sorted(OWNERS)
    for record in sent:
        assert {a["file"] for a in record["attachments"]} and all(len(a["sha256"]) == 64 for a in record["attachments"])
        assert record["at"] and record["message_id"]


def test_a_rerun_sends_only_what_was_not_sent_and_resend_sends_again(plant, tmp_path, server):
    cycle_dir = make_cycle(plant, tmp_path)
    config = config_for(server)
    send_cycle(cycle_dir, config)
    again = send_cycle(cycle_dir, config)
    assert not again.sent and sorted(again.already_sent) == sorted(OWNERS)
    assert len(server.inbox.messages) == 3
    send_cycle(cycle_dir, config, resend=True)
    assert len(server.inbox.messages) == 6
    assert len(manifest(cycle_dir).get("sent", [])) == 6
    one = send_cycle(cycle_dir, config, resend=True, only=("CY@plant.example.com",))
    assert [to for to, _ in one.sent] == ["cy@plant.example.com"] and len(server.inbox.messages) == 7
    with pytest.raises(CyclekitError, match="no sheet of this cycle goes to dee@plant.example.com"):
        send_cycle(cycle_dir, config, only=("dee@plant.example.com",))


def test_a_refused_recipient_and_a_dropped_connection_are_reported_per_message(plant, tmp_path, server):
    cycle_dir = make_cycle(plant, tmp_path)
    config = config_for(server)
    server.inbox.refuse.add("bo@plant.example.com")
    server.inbox.drop_for.add("ana@plant.example.com")
    report = send_cycle(cycle_dir, config)
    failed = dict(report.failed)
    assert set(failed) == {"ana@plant.example.com", "bo@plant.example.com"}
    assert "550" in failed["bo@plant.example.com"] or "unavailable" in failed["bo@plant.example.com"]
    assert "dropped the connection" in failed["ana@plant.example.com"]
    assert [to for to, _ in report.sent] == ["cy@plant.example.com"]  # after the drop: connected again
    assert [r["to"] for r in manifest(cycle_dir).get("sent", [])] == ["cy@plant.example.com"]
    server.inbox.refuse.clear()
    server.inbox.drop_for.clear()
    retry = send_cycle(cycle_dir, config)
    assert sorted(to for to, _ in retry.sent) == ["ana@plant.example.com", "bo@plant.example.com"]
    assert len(server.inbox.to("cy@plant.example.com")) == 1  # never sent twice


def test_recount_sheets_made_later_go_alone(plant, tmp_path, server):
    cycle_dir = make_cycle(plant, tmp_path)
    config = config_for(server)
    send_cycle(cycle_dir, config)
    data = manifest(cycle_dir)
    count = next(s for s in data["sheets"] if s["location"] == "MRB-01")
    (cycle_dir / "recounts").mkdir()
    (cycle_dir / "recounts" / "Recount_MRB-01.xlsx").write_bytes((cycle_dir / count["file"]).read_bytes() + b"")
    data["sheets"].append({**count, "sheet_id": "R001", "kind": "recount", "file": "recounts/Recount_MRB-01.xlsx"})
    write_manifest(cycle_dir, data)
    report = send_cycle(cycle_dir, config)
    assert report.sent == [("cy@plant.example.com", ["recounts/Recount_MRB-01.xlsx"])]
    [_, recount] = server.inbox.to("cy@plant.example.com")
    assert list(attachments(recount)) == ["Recount_MRB-01.xlsx"]
    assert recount["Subject"].startswith("Recount sheets")


def test_the_password_comes_from_the_environment_only_and_is_never_shown(plant, tmp_path, server, monkeypatch):
    with pytest.raises(ConfigError, match="never kept in the config"):
        parse_config({"email": {**server.settings(), "password": PASSWORD}})
    cycle_dir = make_cycle(plant, tmp_path)
    monkeypatch.delenv("CYCLEKIT_TEST_SMTP_PASSWORD")
    with pytest.raises(ConfigError, match="CYCLEKIT_TEST_SMTP_PASSWORD"):
        send_cycle(cycle_dir, config_for(server))
    monkeypatch.setenv("CYCLEKIT_TEST_SMTP_PASSWORD", "wrong-" + PASSWORD)
    (tmp_path / "cyclekit.toml").write_text(
        "[email]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in server.settings().items()))
    result = CliRunner().invoke(cli, ["send", str(cycle_dir), "--config", str(tmp_path / "cyclekit.toml")])
    assert result.exit_code == 1 and "refused the user" in result.output
    assert PASSWORD not in result.output and not server.inbox.messages
    assert manifest(cycle_dir).get("sent", []) == []


def test_dry_run_writes_standard_eml_files_and_records_nothing_sent(plant, tmp_path, server):
    cycle_dir = make_cycle(plant, tmp_path)
    (tmp_path / "cyclekit.toml").write_text('[email]\nfrom = "lead@plant.example.com"\n')
    outbox = tmp_path / "outbox"
    result = CliRunner().invoke(cli, ["send", str(cycle_dir), "--dry-run", str(outbox),
                                      "--config", str(tmp_path / "cyclekit.toml")])
    assert result.exit_code == 0, result.output
    emls = sorted(outbox.glob("*.eml"))
    assert len(emls) == 3 and all(str(p) in result.output for p in emls)
    for path in emls:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        address = str(message["To"]).rpartition("<")[2].rstrip(">")
        assert attachments(message) == files_of(cycle_dir, address)
        assert message["From"] == "lead@plant.example.com" and message["X-Unsent"] == "1"  # Outlook: a draft
    assert manifest(cycle_dir).get("sent", []) == [] and not server.inbox.messages


def test_an_owner_address_that_is_not_one_is_not_written_into_a_header(plant, tmp_path, server):
    cycle_dir = make_cycle(plant, tmp_path)
    data = manifest(cycle_dir)
    for record in data["locations"]:
        if record["location"] == "MRB-01":
            record["owner_email"] = "cy@plant.example.com\nBcc: all@plant.example.com"
        if record["location"] == "WH-A-02":
            record["owner_email"] = "ana@plant..example.com"
        if record["location"] == "CAGE-01":
            record["owner"] = "Bo Lind\r\nBcc: all@plant.example.com"
    write_manifest(cycle_dir, data)
    report = send_cycle(cycle_dir, config_for(server))
    assert sorted(report.no_address) == ["EMPTY-9", "MRB-01", "WH-A-02"]
    assert all("all@plant.example.com" not in rcpt for _, rcpt, _ in server.inbox.messages)
    [bo] = server.inbox.to("bo@plant.example.com")
    assert bo["To"].addresses[0].display_name == "Bo Lind Bcc: all@plant.example.com"  # one line, no header
    assert bo["Bcc"] is None


def test_a_sheet_changed_since_it_was_made_is_not_sent(plant, tmp_path, server):
    cycle_dir = make_cycle(plant, tmp_path)
    record = next(s for s in manifest(cycle_dir)["sheets"] if s["location"] == "MRB-01")
    with open(cycle_dir / record["file"], "ab") as handle:
        handle.write(b"\0")
    report = send_cycle(cycle_dir, config_for(server))
    assert report.changed == [record["file"]] and "cy@plant.example.com" not in dict(report.sent)


def test_the_users_template_is_used_and_runs_in_the_sandbox(plant, tmp_path, server):
    cycle_dir = make_cycle(plant, tmp_path)
    mine = tmp_path / "mine.txt.j2"
    mine.write_text("Subject: Please count {{ locations|map(attribute='location')|join(', ') }}\n\nThanks!\n")
    send_cycle(cycle_dir, config_for(server), template=mine)
    [message] = server.inbox.to("cy@plant.example.com")
    assert message["Subject"] == "Please count MRB-01"
    hostile = tmp_path / "hostile.txt.j2"
    hostile.write_text("Subject: x\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    with pytest.raises(ConfigError, match="hostile.txt.j2"):
        send_cycle(cycle_dir, config_for(server), template=hostile, resend=True)
    assert len(server.inbox.messages) == 3  # a template that fails sends nothing


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls(plant, tmp_path, monkeypatch):
    running = start_server(tmp_path, monkeypatch, security="ssl")
    try:
        cycle_dir = make_cycle(plant, tmp_path)
        report = send_cycle(cycle_dir, config_for(running))
        assert len(report.sent) == 3 and len(running.inbox.messages) == 3
    finally:
        running.controller.stop()


def test_a_server_that_cannot_be_reached_is_one_line(plant, tmp_path, server):
    cycle_dir = make_cycle(plant, tmp_path)
    with pytest.raises(CyclekitError, match="cannot reach the mail server 127.0.0.1"):
        send_cycle(cycle_dir, config_for(server, port=free_port()))  # nothing listens there
    assert manifest(cycle_dir).get("sent", []) == []


@pytest.mark.parametrize(("email", "says"), [
    ({"security": "tls"}, 'email.security must be "starttls", "ssl" or "none"'),
    ({"port": 70000}, "email.port must be a port number"),
    ({"cc": ["not an address"]}, "email.cc must be an e-mail address"),
    ({"from": "lead@plant.example.com\nBcc: x@y.z"}, "email.from must be an e-mail address"),
    ({"password_env": "hunter2!"}, "never the password itself"),
    ({"sender": "a@b.c"}, r"email.sender \(write the sender as email.from\)"),
    ({"hots": "x"}, r"unknown setting email.hots \(known: cc, from, host"),
])
def test_email_settings_are_checked(email, says):
    with pytest.raises(ConfigError, match=says):
        parse_config({"email": email})


def test_email_settings_read_from_the_file(tmp_path):
    from cyclekit.config import load_config

    config = load_config(Path(__file__).parent.parent / "examples" / "cyclekit.toml")
    assert config.email.sender == "cycle.counts@plant.example.com" and config.email.security == "starttls"
    assert config.email.password_env == "CYCLEKIT_SMTP_PASSWORD" and config.email.port == 587
    assert parse_config({"email": {"cc": ["Lead@Plant.example.com"]}}).email.cc == ("Lead@Plant.example.com",)


def test_a_relay_without_tls_or_login(plant, tmp_path, monkeypatch):
    relay = start_server(tmp_path, monkeypatch, security="none")
    try:
        report = send_cycle(make_cycle(plant, tmp_path), config_for(relay))
        assert len(report.sent) == 3 and len(relay.inbox.messages) == 3
    finally:
        relay.controller.stop()


def test_starttls_is_never_dropped_silently(plant, tmp_path, monkeypatch):
    relay = start_server(tmp_path, monkeypatch, security="none")  # offers no STARTTLS
    try:
        with pytest.raises(CyclekitError, match="does not offer STARTTLS"):
            send_cycle(make_cycle(plant, tmp_path), config_for(relay, security="starttls"))
        assert not relay.inbox.messages
    finally:
        relay.controller.stop()


def test_a_certificate_not_trusted_is_refused(plant, tmp_path, server, monkeypatch):
    cycle_dir = make_cycle(plant, tmp_path)
    monkeypatch.delenv("SSL_CERT_FILE")  # the test CA is no longer trusted
    with pytest.raises(CyclekitError, match="secure connection failed .*CERTIFICATE_VERIFY_FAILED"):
        send_cycle(cycle_dir, config_for(server))
    assert not server.inbox.messages and manifest(cycle_dir).get("sent", []) == []


def test_packets_go_whole_to_their_owner_and_failures_are_one_line_each(plant, tmp_path, server):
    cycle_dir = make_cycle(plant, tmp_path, packets=True)
    (tmp_path / "cyclekit.toml").write_text(
        "[email]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in server.settings().items()))
    server.inbox.refuse.add("bo@plant.example.com")
    result = CliRunner().invoke(cli, ["send", str(cycle_dir), "--config", str(tmp_path / "cyclekit.toml")])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert [line for line in lines if line.startswith("Not sent to")] == [
        "Not sent to bo@plant.example.com: refused: bo@plant.example.com (5.1.1 mailbox unavailable)"]
    assert lines[-1].startswith("Error: 1 message not sent")
    [ana] = server.inbox.to("ana@plant.example.com")
    assert list(attachments(ana)) == ["Ana_Ruiz.xlsx"]  # the packet: a tab per location
    assert attachments(ana) == files_of(cycle_dir, "ana@plant.example.com")


def test_a_finalized_cycle_is_not_sent(plant, tmp_path, server):
    cycle_dir = make_cycle(plant, tmp_path)
    data = manifest(cycle_dir)
    data["finalized"] = {"at": "2026-11-30T10:00:00"}
    write_manifest(cycle_dir, data)
    with pytest.raises(CyclekitError, match="was finalized on 2026-11-30"):
        send_cycle(cycle_dir, config_for(server))
    assert not server.inbox.messages
