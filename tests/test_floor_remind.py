"""`cyclekit remind`: overdue and due-soon counts, as a table or one e-mail per owner (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from cyclekit.cli import cli
from cyclekit.config import Config, parse_config
from cyclekit.layouts.schedule_reader import read_schedule
from cyclekit.stages.remind import remind
from tests.mail_server import start_server
from tests.test_cycle_flow import AS_OF, plant  # noqa: F401 (a fixture)


@pytest.fixture
def server(tmp_path, monkeypatch):
    running = start_server(tmp_path, monkeypatch)
    yield running
    running.controller.stop()


def expected(schedule, days, as_of=AS_OF):
    entries = read_schedule(schedule).entries
    overdue = sorted((e for e in entries if e.next_count < as_of), key=lambda e: e.next_count)
    due = sorted((e for e in entries if as_of <= e.next_count <= as_of + dt.timedelta(days=days)),
                 key=lambda e: e.next_count)
    return [e.key for e in overdue], [e.key for e in due]


def test_overdue_first_then_due_soon(plant):  # noqa: F811
    schedule, _ = plant
    days = 200
    overdue, due = expected(schedule, days)
    assert overdue and due  # the plant has both
    report = remind(schedule, Config(), days=days, as_of=AS_OF)
    assert [r.location for r in report.reminders] == overdue + due
    assert [r.overdue for r in report.reminders] == [True] * len(overdue) + [False] * len(due)
    assert not report.sent


def test_the_table_on_the_command_line(plant):  # noqa: F811
    schedule, _ = plant
    said = CliRunner().invoke(cli, ["remind", str(schedule), "--days", "200", "--as-of", "2026-11-23"])
    assert said.exit_code == 0, said.output
    lines = said.output.splitlines()
    assert lines[1].startswith("Status") and lines[2].startswith("overdue ")
    statuses = [line.split("  ")[0] for line in lines[2:]]
    assert statuses == sorted(statuses, key=lambda s: not s.startswith("overdue"))


def test_one_email_per_owner_through_the_server(plant, tmp_path, server):  # noqa: F811
    schedule, _ = plant
    days, as_of = 30, dt.date(2026, 12, 1)  # Bo: CAGE-01 overdue, LS-1 due on 2026-12-20
    overdue, due = expected(schedule, days, as_of)
    report = remind(schedule, parse_config({"email": server.settings()}), days=days, as_of=as_of, send=True)
    owners = {e.owner_email for e in read_schedule(schedule).entries if e.key in overdue + due}
    assert sorted(report.sent) == sorted(owners) and not report.failed
    assert len(server.inbox.messages) == len(owners)
    for entry in read_schedule(schedule).entries:
        if entry.key not in overdue + due:
            continue
        [message] = server.inbox.to(entry.owner_email)
        body = message.get_body(("plain",)).get_content()
        assert entry.key in body
        if entry.key in overdue:
            assert body.index("Overdue") < body.index(entry.key)
    entries = read_schedule(schedule).entries
    both = [address for address in owners
            if {e.key for e in entries if e.owner_email == address} & set(overdue)
            and {e.key for e in entries if e.owner_email == address} & set(due)]
    assert both  # someone has counts overdue and due soon: overdue listed first
    [mail] = server.inbox.to(both[0])
    body = mail.get_body(("plain",)).get_content()
    assert body.index("Overdue") < body.index("Due in the next")
    assert "overdue" in mail["Subject"]


def test_a_refused_owner_is_reported_and_the_others_reminded(plant, tmp_path, server):  # noqa: F811
    schedule, _ = plant
    (tmp_path / "cyclekit.toml").write_text(
        "[email]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in server.settings().items()))
    server.inbox.refuse.add("bo@plant.example.com")
    said = CliRunner().invoke(cli, ["remind", str(schedule), "--days", "200", "--as-of", "2026-11-23", "--send",
                                    "--config", str(tmp_path / "cyclekit.toml")])
    assert said.exit_code == 1
    assert "Not sent to bo@plant.example.com" in said.output and "Reminded ana@plant.example.com" in said.output
    assert not server.inbox.to("bo@plant.example.com") and server.inbox.to("ana@plant.example.com")


def test_dry_run_writes_one_eml_per_owner(plant, tmp_path):  # noqa: F811
    from email import message_from_bytes, policy

    schedule, _ = plant
    said = CliRunner().invoke(cli, ["remind", str(schedule), "--days", "30", "--as-of", "2026-12-01",
                                    "--dry-run", str(tmp_path / "outbox")])
    assert said.exit_code == 0, said.output
    emls = sorted((tmp_path / "outbox").glob("*.eml"))
    to = {str(message_from_bytes(p.read_bytes(), policy=policy.default)["To"]).rpartition("<")[2].rstrip(">")
          for p in emls}
    assert to == {"ana@plant.example.com", "bo@plant.example.com", "cy@plant.example.com"}
