"""Speed (issue 17): ingest resolves the paths of the files given a bounded number of times each.

A thousand filled sheets given at once used to resolve every file already in returned/ once per
file given (a million resolves, most of ingest's time at plant scale). No time is asserted: the
number of path resolutions is counted."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from cyclekit.stages import ingest

FILES = 40


def test_each_file_given_costs_a_bounded_number_of_path_resolutions(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    cycle, inbox = tmp_path / "cycle", tmp_path / "inbox"
    (cycle / "returned").mkdir(parents=True)
    inbox.mkdir()
    given = []
    for i in range(FILES):
        (cycle / "returned" / f"earlier-{i}.xlsx").write_bytes(b"returned before")
        path = inbox / f"sheet-{i}.xlsx"
        path.write_bytes(f"sheet {i}".encode())
        given.append(path)
    real_resolve = Path.resolve
    calls = 0

    def counted(self: Path, strict: bool = False) -> Path:
        nonlocal calls
        calls += 1
        return real_resolve(self, strict)

    monkeypatch.setattr(Path, "resolve", counted)
    sources, named, gone, made = ingest.ingest_sources(cycle, SimpleNamespace(google={}, ingests=[]), given, None)
    monkeypatch.undo()

    assert sorted(made.values()) == sorted(given)  # each file given was copied in, and only those
    assert {p.parent for p in made} == {(cycle / "returned").resolve()}
    assert len(sources) == FILES and gone == []
    assert calls < 10 * FILES, f"{calls} path resolutions for {FILES} files"
