"""`cyclekit ingest CYCLE_DIR replies/`: filled sheets taken from e-mails saved as .eml files."""

from __future__ import annotations

import json
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from cyclekit.cli import cli
from cyclekit.config import Config
from cyclekit.errors import InputError
from cyclekit.folder import mail_replies
from cyclekit.stages.ingest import ingest_cycle
from tests.test_cycle_flow import fill_all_right, plant, start  # noqa: F401 (plant: a fixture)

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def reply(path: Path, sender: str, attachments: dict[str, bytes], subject: str = "Re: Count sheets") -> Path:
    """A reply as a mail client saves it (.eml), the filled sheets attached."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"], message["To"], message["Subject"] = sender, "lead@plant.example.com", subject
    message["Message-ID"] = f"<{path.stem}@plant.example.com>"
    message.set_content("Done, see attached.")
    for name, data in attachments.items():
        message.add_attachment(data, maintype=XLSX[0], subtype=XLSX[1], filename=name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(message.as_bytes())
    return path


def manifest(cycle_dir: Path) -> dict:
    return json.loads((cycle_dir / "manifest.json").read_text())


def test_a_folder_of_replies_is_read_and_each_sheet_names_its_message(plant, tmp_path):  # noqa: F811
    cycle_dir = start(plant, tmp_path).cycle_dir
    filled = fill_all_right(cycle_dir, tmp_path / "back")
    replies = tmp_path / "replies"
    for number, path in enumerate(filled):
        reply(replies / f"reply-{number}.eml", f"counter{number}@plant.example.com", {path.name: path.read_bytes()})
    reply(replies / "thanks.eml", "ana@plant.example.com", {}, subject="Re: will do tomorrow")
    result = ingest_cycle(cycle_dir, Config(), [replies])
    assert (result.figures.lines_counted, result.missing) == (8, [])
    assert [(p.kind, Path(p.file).name) for p in result.problems] == [("mail-reply", "thanks.eml")]
    received = manifest(cycle_dir)["received"]
    assert len(received) == len(filled)
    for file, origin in received.items():
        assert (cycle_dir / file).is_file() and file.startswith("returned/")
        assert origin["from"].startswith("counter") and origin["message_id"].startswith("<reply-")
        assert (cycle_dir / origin["message"]).is_file()  # the message is kept with the cycle
        assert origin["attachment"].endswith(" filled.xlsx")
    read = {Path(entry["file"]).name for entry in manifest(cycle_dir)["ingests"][-1]["files"]}
    assert read == {Path(file).name for file in received}


def test_hostile_attachment_names_stay_in_the_returned_folder(plant, tmp_path):  # noqa: F811
    cycle_dir = start(plant, tmp_path).cycle_dir
    [first, *_] = fill_all_right(cycle_dir, tmp_path / "back")
    message = reply(tmp_path / "evil.eml", "x@example.com", {"../../../../tmp/evil\x07.xlsx": first.read_bytes(),
                                                            "C:\\Windows\\win.xlsx": first.read_bytes()})
    taken = mail_replies.take_mailed_sheets(cycle_dir, [message], _Manifest())
    assert [p.parent for p in taken.files] == [(cycle_dir / "returned").resolve()] * 2
    assert sorted(p.name for p in taken.files) == ["evil.xlsx", "win.xlsx"]
    assert not (Path("/tmp") / "evil\x07.xlsx").exists()
    assert mail_replies.attachment_name("..", 3) == "attachment-3.xlsx"
    assert mail_replies.attachment_name("a/b\\..\\c.XLSX", 1) == "c.xlsx"


class _Manifest:
    def __init__(self) -> None:
        self.received: dict = {}


def test_a_message_past_the_size_bound_is_not_parsed(plant, tmp_path, monkeypatch):  # noqa: F811
    cycle_dir = start(plant, tmp_path).cycle_dir
    [first, *_] = fill_all_right(cycle_dir, tmp_path / "back")
    message = reply(tmp_path / "big.eml", "x@example.com", {"a.xlsx": first.read_bytes()})
    monkeypatch.setattr(mail_replies, "MAX_MESSAGE_MB", 0)
    with pytest.raises(InputError) as refused:
        mail_replies.take_mailed_sheets(cycle_dir, [message], _Manifest())
    assert "more than the 0 MB read; not read" in refused.value.problems[0].message


def test_the_parts_of_a_message_are_bounded(plant, tmp_path, monkeypatch):  # noqa: F811
    cycle_dir = start(plant, tmp_path).cycle_dir
    [first, *_] = fill_all_right(cycle_dir, tmp_path / "back")
    message = reply(tmp_path / "many.eml", "x@example.com", {f"{n}.xlsx": first.read_bytes() for n in range(5)})
    monkeypatch.setattr(mail_replies, "MAX_PARTS", 4)  # the message, its text and two attachments
    taken = mail_replies.take_mailed_sheets(cycle_dir, [message], _Manifest())
    assert [p.name for p in taken.files] == ["0.xlsx", "1.xlsx"]
    assert "more than 4 parts" in taken.problems[0].message


def test_a_forwarded_reply_and_a_sheet_of_another_cycle(plant, tmp_path):  # noqa: F811
    cycle_dir = start(plant, tmp_path).cycle_dir
    other = start(plant, tmp_path, name="other").cycle_dir
    [mine, *_] = fill_all_right(cycle_dir, tmp_path / "back")
    [theirs, *_] = fill_all_right(other, tmp_path / "back-other")
    inner = EmailMessage(policy=policy.SMTP)
    inner["From"], inner["Subject"] = "ana@plant.example.com", "Re: sheets"
    inner.set_content("attached")
    inner.add_attachment(mine.read_bytes(), maintype=XLSX[0], subtype=XLSX[1], filename="mine.xlsx")
    outer = EmailMessage(policy=policy.SMTP)
    outer["From"], outer["Subject"] = "boss@plant.example.com", "Fwd: Re: sheets"
    outer.set_content("forwarding")
    outer.add_attachment(inner)
    outer.add_attachment(theirs.read_bytes(), maintype=XLSX[0], subtype=XLSX[1], filename="theirs.xlsx")
    (tmp_path / "fwd.eml").write_bytes(outer.as_bytes())
    result = ingest_cycle(cycle_dir, Config(), [tmp_path / "fwd.eml"])
    assert result.figures.lines_counted > 0
    assert any("fwd.eml: theirs.xlsx" in p.file for p in result.problems)  # named by the message it came in
    returned = sorted(p.name for p in (cycle_dir / "returned").iterdir())
    assert returned == ["fwd.eml", "mine.xlsx"]  # the other cycle's sheet is not kept
    received = json.loads((cycle_dir / "manifest.json").read_text())["received"]
    assert list(received) == ["returned/mine.xlsx"]
    assert received["returned/mine.xlsx"]["from"] == "ana@plant.example.com"  # the message forwarded


def test_the_command_takes_a_folder(plant, tmp_path):  # noqa: F811
    cycle_dir = start(plant, tmp_path).cycle_dir
    for number, path in enumerate(fill_all_right(cycle_dir, tmp_path / "back")):
        reply(tmp_path / "replies" / f"{number}.eml", "c@plant.example.com", {path.name: path.read_bytes()})
    said = CliRunner().invoke(cli, ["ingest", str(cycle_dir), str(tmp_path / "replies"), "-q"])
    assert said.exit_code == 0, said.output
    assert "8 of 8 lines counted" in said.output


def test_a_folder_without_messages_is_refused_as_before(plant, tmp_path):  # noqa: F811
    cycle_dir = start(plant, tmp_path).cycle_dir
    (tmp_path / "empty").mkdir()
    said = CliRunner().invoke(cli, ["ingest", str(cycle_dir), str(tmp_path / "empty"), "-q"])
    assert said.exit_code == 1 and "is a folder, not a file" in said.output


def test_a_binary_file_named_eml_and_broken_base64_are_problems_not_tracebacks(plant, tmp_path):  # noqa: F811
    cycle_dir = start(plant, tmp_path).cycle_dir
    (tmp_path / "noise.eml").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "broken.eml").write_bytes(
        b"From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n"
        b"Content-Disposition: attachment; filename=\"s.xlsx\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"%%%not base64 at all%%%\r\n--B--\r\n")
    said = CliRunner().invoke(cli, ["ingest", str(cycle_dir), str(tmp_path / "noise.eml"),
                                    str(tmp_path / "broken.eml"), "-q"])
    assert said.exit_code == 1 and "Traceback" not in said.output
    assert said.output.splitlines()[-1] == ("Error: none of the messages given has an Excel workbook attached; "
                                            "nothing was changed; nothing was written.")
    assert "noise.eml: the message has no Excel (.xlsx) attachment" in said.output
    assert "broken.eml: the attachment 's.xlsx' is not an Excel workbook" in said.output
    assert not (cycle_dir / "returned").exists() and manifest(cycle_dir)["ingests"] == []
