"""folder/atomic.py on its own: a file is replaced whole or not at all, a failed write is one line
saying what to do, new files get the user's usual permissions, and backups never overwrite."""

import datetime as dt
import errno
import os
import stat

import pytest

from cyclekit.atomic import (
    WriteError,
    atomic_path,
    keep_a_copy,
    make_work_dir,
    usual_mode,
    write_bytes_atomic,
    write_error,
    write_text_atomic,
)
from cyclekit.errors import CyclekitError


def test_a_write_replaces_the_file_whole_and_leaves_nothing_beside_it(tmp_path):
    target = tmp_path / "new" / "folder" / "results.csv"  # folders made as needed
    write_text_atomic(target, "a,b\r\n1,é\n")
    assert target.read_bytes() == "a,b\r\n1,é\n".encode()  # newlines written as given
    write_bytes_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert os.listdir(target.parent) == ["results.csv"]


def test_an_error_while_writing_keeps_the_old_file_and_removes_the_temporary_one(tmp_path):
    target = tmp_path / "manifest.json"
    target.write_text("the old one")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half of the new one")
        raise RuntimeError("the layout failed midway")
    assert target.read_text() == "the old one"
    assert os.listdir(tmp_path) == ["manifest.json"]


@pytest.mark.parametrize(("code", "advice"), [
    (errno.ENOSPC, "the disk is full: free some space"),
    (errno.EACCES, "no permission to write there"),
    (errno.EROFS, "the drive is read-only"),
])
def test_a_full_or_locked_drive_is_one_line_naming_the_file_and_what_to_do(tmp_path, code, advice):
    target = tmp_path / "results.xlsx"
    with pytest.raises(WriteError) as caught, atomic_path(target):
        raise OSError(code, os.strerror(code))
    message = str(caught.value)
    assert "\n" not in message and str(target) in message and advice in message
    assert message.endswith("then run the command again")
    assert isinstance(caught.value, CyclekitError)  # the CLI turns it into its one-line message
    assert os.listdir(tmp_path) == []


def test_other_os_errors_go_up_as_they_are(tmp_path):
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "x.csv"):
        raise FileNotFoundError(errno.ENOENT, "gone")


def test_write_error_names_the_file_the_error_names_when_none_is_given():
    error = write_error(OSError(errno.EDQUOT, "Disk quota exceeded", "/data/cycle/results.xlsx"))
    assert str(error) == ("could not write /data/cycle/results.xlsx (Disk quota exceeded): your disk quota is "
                          "used up: free some space, then run the command again")
    assert "check the drive" in str(write_error(OSError(errno.EIO, "I/O error"), "a.csv"))


def test_new_files_and_folders_get_the_mode_the_umask_gives(tmp_path):
    old = os.umask(0o027)
    try:
        assert usual_mode() == 0o640 and usual_mode(directory=True) == 0o750
        target = tmp_path / "shared.csv"
        write_text_atomic(target, "x")  # tempfile alone would make it owner-only (0600)
        assert stat.S_IMODE(target.stat().st_mode) == 0o640
        work = make_work_dir(".cycle-", tmp_path)
        assert work.parent == tmp_path and stat.S_IMODE(work.stat().st_mode) == 0o750
    finally:
        os.umask(old)


def test_a_copy_is_kept_before_a_workbook_is_replaced_and_never_over_another(tmp_path):
    book = tmp_path / "schedule.xlsx"
    assert keep_a_copy(book, "%Y%m%d-%H%M%S") is None  # nothing to keep
    book.write_bytes(b"version 1")
    now = dt.datetime(2026, 11, 23, 8, 30, 0)
    first = keep_a_copy(book, "%Y%m%d-%H%M%S", now)
    book.write_bytes(b"version 2")
    second = keep_a_copy(book, "%Y%m%d-%H%M%S", now)  # the same second
    assert (first.name, second.name) == ("schedule-20261123-083000.xlsx", "schedule-20261123-083000-2.xlsx")
    assert (first.read_bytes(), second.read_bytes()) == (b"version 1", b"version 2")
    assert book.read_bytes() == b"version 2"  # the workbook itself is left as it is
    assert sorted(os.listdir(tmp_path)) == sorted([book.name, first.name, second.name])  # no temporary copy left
