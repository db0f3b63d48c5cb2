"""The typed, versioned manifest: records with attributes, and cycle folders of the first format still open."""

import json
import shutil
from pathlib import Path

import pytest

from cyclekit.errors import CycleError
from cyclekit.folder.counts import COUNTS, load_counts
from cyclekit.folder.cycle import (
    MANIFEST,
    MANIFEST_FORMAT,
    CountsRecord,
    FinalizeRecord,
    IngestRecord,
    Manifest,
    SourceFile,
    changed_since_ingest,
    load_manifest,
    save_manifest,
)
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.status import cycle_status
from cyclekit.stages.verify import verify_cycle
from tests.helpers import forget_signed
from tests.test_finalize import CONFIG, TODAY, approve_all, cycle  # noqa: F401 (cycle is a fixture)

# written by `make demo` before the manifest had a format_version: ingests and finalized as plain objects
OLD = Path(__file__).parent / "fixtures" / "manifest-v1.json"


def _folder_with(tmp_path: Path, text: str) -> Path:
    (tmp_path / MANIFEST).write_text(text, encoding="utf-8")
    return tmp_path


def test_manifest_of_the_first_format_opens_as_records(tmp_path):
    manifest = load_manifest(_folder_with(tmp_path, OLD.read_text(encoding="utf-8")))
    assert len(manifest.ingests) == 2 and all(isinstance(i, IngestRecord) for i in manifest.ingests)
    first, last = manifest.ingests
    assert isinstance(first.files[0], SourceFile) and first.files[0].file == "returned/CAGE-02 - counted.xlsx"
    assert isinstance(last.counts, CountsRecord) and last.counts.file == "counts.json"
    assert last.lines_counted == 242 and last.results_backup == "results-20261207T033751.xlsx"
    assert first.results_backup is None and first.summary_layout and last.digests()[0] == last.files[0].sha256
    assert isinstance(manifest.finalized, FinalizeRecord) and manifest.finalized.adjustments == 5
    assert manifest.finalized.recorded()["snapshot.csv"] == manifest.snapshot_sha256
    assert manifest.finalized.targets["odoo"] == "absolute" and manifest.finalized.google_inputs == {}


def test_manifest_of_the_first_format_is_written_back_the_same_and_versioned(tmp_path):
    folder = _folder_with(tmp_path, OLD.read_text(encoding="utf-8"))
    save_manifest(folder, load_manifest(folder))
    written = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert written.pop("format_version") == MANIFEST_FORMAT == 3
    assert written.pop("seal")["algorithm"] == "HMAC-SHA256"  # sealed when written back
    assert written == json.loads(OLD.read_text(encoding="utf-8"))  # every record, key and value kept


def test_ingest_records_of_early_versions_lack_later_fields(tmp_path):
    data = json.loads(OLD.read_text(encoding="utf-8"))
    for ingest in data["ingests"]:  # as the first versions wrote them: no counts.json, no Summary layout
        for key in ("counts", "summary_layout", "results_backup"):
            ingest.pop(key, None)
    data["finalized"] = {"at": "2026-11-24T10:00:00", "inputs": {}, "outputs": {}}
    manifest = load_manifest(_folder_with(tmp_path, json.dumps(data)))
    assert manifest.ingests[-1].counts is None and manifest.ingests[-1].summary_layout is None
    assert manifest.finalized is not None and manifest.finalized.warnings == []
    assert load_counts(tmp_path, manifest.ingests[-1].counts, "any") is None  # the sheets are read again


@pytest.mark.parametrize("version, says", [(4, "written by a newer cyclekit .*upgrade cyclekit"),
                                           (99, "format_version 99; this one reads up to 3"),
                                           ("2", "is damaged .*format_version '2' is no version"),
                                           (0, "is damaged"), (None, "is damaged")])
def test_manifest_of_an_unknown_format_is_refused_in_one_line(tmp_path, version, says):
    data = json.loads(OLD.read_text(encoding="utf-8"))
    data["format_version"] = version
    with pytest.raises(CycleError, match=says) as caught:
        load_manifest(_folder_with(tmp_path, json.dumps(data)))
    assert "\n" not in str(caught.value) and str(tmp_path / MANIFEST) in str(caught.value)


def test_a_cycle_of_a_newer_format_is_refused_by_every_command_and_left_as_it_is(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    data = json.loads((cycle_dir / MANIFEST).read_text(encoding="utf-8"))
    data["format_version"] = MANIFEST_FORMAT + 1  # a newer seal too: refused for the format, not the seal
    (cycle_dir / MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    before = (cycle_dir / MANIFEST).read_bytes()
    for command in (lambda: ingest_cycle(cycle_dir, CONFIG, today=TODAY), lambda: cycle_status(cycle_dir, CONFIG),
                    lambda: verify_cycle(cycle_dir),
                    lambda: finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)):
        with pytest.raises(CycleError, match="newer cyclekit"):
            command()
    assert (cycle_dir / MANIFEST).read_bytes() == before and not (cycle_dir / "adjustments").exists()


def test_changed_since_ingest_names_changed_and_gone_files(tmp_path):
    (tmp_path / "a.xlsx").write_bytes(b"first")
    (tmp_path / "b.xlsx").write_bytes(b"second")
    from cyclekit.inputs.tables import file_sha256

    record = IngestRecord("2026-11-24T10:00:00", [SourceFile("a.xlsx", file_sha256(tmp_path / "a.xlsx")),
                                                  SourceFile("b.xlsx", file_sha256(tmp_path / "b.xlsx")),
                                                  SourceFile("c.xlsx", "0" * 64),
                                                  SourceFile("google:abc", "1" * 64)])
    assert changed_since_ingest(tmp_path, record) == ["c.xlsx"]
    (tmp_path / "b.xlsx").write_bytes(b"changed")
    assert changed_since_ingest(tmp_path, record) == ["b.xlsx", "c.xlsx"]


def _as_first_format(cycle_dir: Path) -> None:
    """The cycle's manifest rewritten as cyclekit wrote it before the format was versioned."""
    data = json.loads((cycle_dir / MANIFEST).read_text(encoding="utf-8"))
    del data["format_version"], data["seal"]  # the first format had no seal either
    (cycle_dir / MANIFEST).write_text(json.dumps(data, indent=1), encoding="utf-8")
    forget_signed(data["cycle_id"])  # nor did it keep a ledger of the cycles it made


def test_cycle_ingested_by_the_first_format_reports_and_finalizes(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    _as_first_format(cycle_dir)
    status = cycle_status(cycle_dir, CONFIG, today=TODAY)
    assert status.blocking == [] and status.lines_counted == 4
    assert (cycle_dir / COUNTS).is_file()
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    assert report.adjustments == 3
    manifest = Manifest.from_json((cycle_dir / MANIFEST).read_text(encoding="utf-8"))
    assert isinstance(manifest.finalized, FinalizeRecord) and manifest.finalized.adjustments == 3
    assert json.loads((cycle_dir / MANIFEST).read_text(encoding="utf-8"))["format_version"] == MANIFEST_FORMAT
    _as_first_format(cycle_dir)
    result = verify_cycle(cycle_dir)
    assert not result.ok and result.changed == result.missing == []  # matches, though unsigned: no pass
    shutil.rmtree(cycle_dir / "adjustments")
    assert not verify_cycle(cycle_dir).ok
