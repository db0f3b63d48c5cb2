"""A cycle's manifest is sealed (HMAC-SHA256 with a key outside the cycle folder): a manifest edited by
hand is tampered, whatever was edited in it (checksums and `finalized` too); another key, no key and an
older unsigned cycle are each said as such."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from cyclekit.cli import cli
from cyclekit.errors import CycleError
from cyclekit.folder.cycle import MANIFEST, load_manifest
from cyclekit.folder.seal import (
    KEY_FILE_VARIABLE,
    KEY_VARIABLE,
    SealError,
    SealState,
    UnsignedCycleWarning,
    find_key,
    signing_key,
)
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.status import cycle_status
from cyclekit.stages.verify import verify_cycle
from tests.helpers import forget_signed
from tests.test_finalize import CONFIG, TODAY, approve_all, cycle  # noqa: F401 (cycle is a fixture)

OTHER_KEY = "another machine's key, 0123456789abcdef0123456789abcdef"


def _data(cycle_dir: Path) -> dict:
    return json.loads((cycle_dir / MANIFEST).read_text(encoding="utf-8"))


def _edit_by_hand(cycle_dir: Path, data: dict) -> None:
    """As a person with a text editor would: the seal left as it was (they have no key)."""
    (cycle_dir / MANIFEST).write_text(json.dumps(data, indent=2), encoding="utf-8")


@pytest.fixture
def finalized(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    assert verify_cycle(cycle_dir).ok and verify_cycle(cycle_dir).seal is SealState.SEALED
    return cycle_dir, schedule


def _every_command(cycle_dir: Path, schedule: Path) -> list:
    return [lambda: ingest_cycle(cycle_dir, CONFIG, today=TODAY), lambda: cycle_status(cycle_dir, CONFIG),
            lambda: finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)]


def test_an_adjustment_file_edited_with_its_checksum_is_tampered(finalized):
    cycle_dir, schedule = finalized
    adjustments = cycle_dir / "adjustments" / "generic.csv"
    posted = adjustments.read_text(encoding="utf-8")
    adjustments.write_text(posted.replace("-6", "-60"), encoding="utf-8")
    assert adjustments.read_text(encoding="utf-8") != posted
    data = _data(cycle_dir)
    [recorded] = [name for name in data["finalized"]["outputs"] if name.endswith("adjustments/generic.csv")]
    data["finalized"]["outputs"][recorded] = hashlib.sha256(adjustments.read_bytes()).hexdigest()
    _edit_by_hand(cycle_dir, data)
    result = verify_cycle(cycle_dir)
    assert result.seal is SealState.TAMPERED and not result.ok
    assert result.changed == []  # the checksums agree with the files: only the seal tells
    outcome = CliRunner().invoke(cli, ["verify", str(cycle_dir)])
    assert outcome.exit_code == 1 and "TAMPERED  manifest.json is tampered" in outcome.output
    assert "unchanged" not in outcome.output and "none of its checksums can be trusted" in outcome.output
    for command in _every_command(cycle_dir, schedule):
        with pytest.raises(SealError, match="is tampered: it was changed since cyclekit signed it") as caught:
            command()
        assert "\n" not in str(caught.value)


def test_finalized_set_to_null_by_hand_does_not_reopen_the_cycle(finalized):
    cycle_dir, schedule = finalized
    data = _data(cycle_dir)
    data["finalized"] = None
    _edit_by_hand(cycle_dir, data)
    before = (cycle_dir / MANIFEST).read_bytes()
    for command in _every_command(cycle_dir, schedule):
        with pytest.raises(SealError, match="tampered"):
            command()
    assert (cycle_dir / MANIFEST).read_bytes() == before  # nothing was written: the cycle stays as it was
    # nor undone as if a finalize had been cut short: what was posted to the ERP stays
    assert sorted(p.name for p in (cycle_dir / "adjustments").iterdir()) == ["generic.csv", "review.xlsx"]
    result = verify_cycle(cycle_dir)
    assert result.seal is SealState.TAMPERED and result.missing == [] and result.changed == []
    outcome = CliRunner().invoke(cli, ["ingest", str(cycle_dir)])
    assert outcome.exit_code == 1 and "tampered" in outcome.output and "Traceback" not in outcome.output


def test_a_seal_removed_from_a_sealed_manifest_is_tampered(finalized):
    cycle_dir, _ = finalized
    data = _data(cycle_dir)
    del data["seal"]
    _edit_by_hand(cycle_dir, data)
    result = verify_cycle(cycle_dir)
    assert result.seal is SealState.TAMPERED and "seal was removed" in result.seal_advice and not result.ok


def test_a_manifest_reformatted_but_not_changed_still_holds(finalized):
    cycle_dir, _ = finalized
    _edit_by_hand(cycle_dir, _data(cycle_dir))  # another layout, the same data and seal
    assert verify_cycle(cycle_dir).ok and load_manifest(cycle_dir).finalized is not None


def test_a_cycle_signed_with_another_key_is_said_so(finalized, monkeypatch):
    cycle_dir, schedule = finalized
    monkeypatch.setenv(KEY_VARIABLE, OTHER_KEY)
    result = verify_cycle(cycle_dir)
    assert result.seal is SealState.OTHER_KEY and not result.ok
    assert KEY_VARIABLE in result.seal_advice
    for command in _every_command(cycle_dir, schedule):
        with pytest.raises(SealError, match="is signed with another key"):
            command()
    outcome = CliRunner().invoke(cli, ["verify", str(cycle_dir)])
    assert outcome.exit_code == 1 and "OTHER KEY  manifest.json is signed with another key" in outcome.output
    monkeypatch.delenv(KEY_VARIABLE)  # the key the cycle was signed with: it holds again
    assert verify_cycle(cycle_dir).ok


def test_a_second_machine_with_the_key_in_the_variable_verifies(finalized, monkeypatch):
    cycle_dir, _ = finalized
    key = Path(os.environ[KEY_FILE_VARIABLE]).read_text(encoding="utf-8").strip()
    monkeypatch.setenv(KEY_FILE_VARIABLE, str(cycle_dir.parent / "second-machine" / "signing.key"))
    monkeypatch.setenv(KEY_VARIABLE, key)
    assert verify_cycle(cycle_dir).ok and verify_cycle(cycle_dir).seal is SealState.SEALED


def test_a_machine_without_the_key_says_where_to_put_it_and_makes_none(finalized, monkeypatch):
    cycle_dir, schedule = finalized
    missing = cycle_dir.parent / "no-key-here" / "signing.key"
    monkeypatch.setenv(KEY_FILE_VARIABLE, str(missing))
    result = verify_cycle(cycle_dir)
    assert result.seal is SealState.NO_KEY and not result.ok and str(missing) in result.seal_advice
    for command in _every_command(cycle_dir, schedule):
        with pytest.raises(SealError, match=f"signed, with no key here to check it: copy the key file .* to {missing}"):
            command()
    assert not missing.exists()  # a reading command never makes a key (the cycle would then be "another key")
    outcome = CliRunner().invoke(cli, ["verify", str(cycle_dir)])
    assert outcome.exit_code == 1 and "NO KEY" in outcome.output


def _as_older_cycle(cycle_dir: Path) -> None:
    """The manifest as a cyclekit from before seals wrote it: format 2, no seal."""
    data = _data(cycle_dir)
    del data["seal"]
    data["format_version"] = 2
    _edit_by_hand(cycle_dir, data)


def test_an_older_unsigned_cycle_opens_with_a_warning_and_is_sealed_when_written(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    _as_older_cycle(cycle_dir)
    forget_signed(_data(cycle_dir)["cycle_id"])  # a cyclekit from before seals kept no ledger
    with pytest.warns(UnsignedCycleWarning, match="unsigned: it was made by a cyclekit from before"):
        assert cycle_status(cycle_dir, CONFIG, today=TODAY).lines_counted == 4
    result = verify_cycle(cycle_dir)
    assert not result.ok and result.seal is SealState.UNSIGNED and result.changed == result.missing == []
    outcome = CliRunner().invoke(cli, ["verify", str(cycle_dir)])  # an auditor's no: cannot vouch
    assert outcome.exit_code == 1 and "UNSIGNED  manifest.json is unsigned (older cycle)" in outcome.output
    assert "records match manifest.json, but it is unsigned, so cyclekit cannot vouch for them" in outcome.output
    outcome = CliRunner().invoke(cli, ["status", str(cycle_dir)])
    assert outcome.exit_code == 0 and "Warning: " in outcome.output and "is unsigned" in outcome.output
    approve_all(cycle_dir)
    with pytest.warns(UnsignedCycleWarning):
        finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    assert verify_cycle(cycle_dir).seal is SealState.SEALED and _data(cycle_dir)["format_version"] == 3


def test_the_key_file_is_made_once_readable_by_its_owner_only(tmp_path, monkeypatch):
    path = tmp_path / "config" / "cyclekit" / "signing.key"
    monkeypatch.setenv(KEY_FILE_VARIABLE, str(path))
    assert find_key() is None and not path.exists()  # looking for it makes none
    key = signing_key()
    assert path.is_file() and len(path.read_text(encoding="ascii").strip()) == 64
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signing_key() == key and find_key() == key  # the same key, never made again
    assert [p.name for p in path.parent.iterdir()] == ["signing.key"]  # no temporary file left


def test_the_variable_wins_over_the_file_and_a_short_key_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_FILE_VARIABLE, str(tmp_path / "signing.key"))
    monkeypatch.setenv(KEY_VARIABLE, OTHER_KEY)
    assert signing_key().source == KEY_VARIABLE and not (tmp_path / "signing.key").exists()
    monkeypatch.setenv(KEY_VARIABLE, "short")
    with pytest.raises(CycleError, match="CYCLEKIT_SIGNING_KEY is too short"):
        signing_key()
    monkeypatch.delenv(KEY_VARIABLE)
    (tmp_path / "signing.key").write_text("\n", encoding="utf-8")
    with pytest.raises(CycleError, match="signing.key is empty"):
        signing_key()


def test_a_key_file_is_made_on_a_drive_without_hard_links(tmp_path, monkeypatch):
    path = tmp_path / "signing.key"
    monkeypatch.setenv(KEY_FILE_VARIABLE, str(path))

    def no_links(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    key = signing_key()
    assert path.is_file() and find_key() == key and [p.name for p in tmp_path.iterdir()] == ["signing.key"]


def test_a_seal_removed_and_the_format_set_back_is_tampered_where_the_cycle_was_signed(finalized):
    cycle_dir, schedule = finalized
    data = _data(cycle_dir)
    data["finalized"] = None  # to reopen the locked cycle, dressed as a cycle from before seals
    _edit_by_hand(cycle_dir, data)
    _as_older_cycle(cycle_dir)
    before = (cycle_dir / MANIFEST).read_bytes()
    result = verify_cycle(cycle_dir)
    assert result.seal is SealState.TAMPERED and not result.ok
    assert f"this machine signed cycle {data['cycle_id']} (created " in result.seal_advice
    assert data["created"] in result.seal_advice
    for command in _every_command(cycle_dir, schedule):
        with pytest.raises(SealError, match="tampered: its seal was removed"):
            command()
    assert (cycle_dir / MANIFEST).read_bytes() == before
    for args in (["verify"], ["ingest"], ["finalize", "--schedule", str(schedule)]):
        outcome = CliRunner().invoke(cli, [*args, str(cycle_dir)])
        assert outcome.exit_code == 1 and "tampered" in outcome.output and "Traceback" not in outcome.output
    # a machine without the ledger cannot tell it from an older cycle: it opens with a warning,
    # and verify still gives no pass
    forget_signed(data["cycle_id"])
    with pytest.warns(UnsignedCycleWarning):
        cycle_status(cycle_dir, CONFIG, today=TODAY)
    assert verify_cycle(cycle_dir).seal is SealState.UNSIGNED and not verify_cycle(cycle_dir).ok


def test_the_ledger_keeps_every_cycle_signed_at_once_and_only_the_last_ones(tmp_path, monkeypatch):
    import threading

    from cyclekit.folder import seal

    monkeypatch.setenv(KEY_FILE_VARIABLE, str(tmp_path / "cfg" / "signing.key"))
    ids = [f"CC-{n:03d}" for n in range(24)]
    threads = [threading.Thread(target=seal.record_signed, args=(i, "2026-11-23T08:00:00")) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(c for c, _ in seal._ledger_entries(seal.ledger_file())) == ids  # none lost to another writer
    seal.record_signed(ids[0], "2026-11-23T08:00:00")  # recorded once
    assert seal.ledger_file().read_text(encoding="utf-8").count('"CC-000"') == 1
    written = [c for c, _ in seal._ledger_entries(seal.ledger_file())]  # the threads' order, whatever it was
    monkeypatch.setattr(seal, "MAX_LEDGER", 5)
    seal.record_signed("CC-NEW", "2026-11-30T08:00:00")
    assert [c for c, _ in seal._ledger_entries(seal.ledger_file())] == [*written[-4:], "CC-NEW"]
    assert seal.signed_here("CC-NEW") == ["2026-11-30T08:00:00"]
    assert seal.signed_here(written[0]) == []  # the oldest dropped
    long_id = "X" * 5000
    seal.record_signed(long_id, "t")
    assert seal.signed_here(long_id) == ["t"] and max(map(len, seal.ledger_file().read_text().splitlines())) < 300
