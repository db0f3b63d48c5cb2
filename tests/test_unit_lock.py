"""folder/lock.py on its own: one command writes a cycle at a time, a command calling another keeps
the lock it holds, and only what a killed command left is cleared."""

import filelock
import pytest

from cyclekit.folder.lock import LOCK_FILE, CycleBusyError, clear_leftovers, cycle_lock, lock_path


@pytest.fixture
def cycle_dir(tmp_path):
    folder = tmp_path / "cycle-2026-11-23"
    folder.mkdir()
    (folder / "manifest.json").write_text("{}")  # a cycle folder (unreadable manifests are the command's to refuse)
    return folder


def test_a_second_command_on_a_busy_cycle_refuses_in_one_line_and_the_lock_is_released_after(cycle_dir):
    other = filelock.FileLock(str(lock_path(cycle_dir)))  # another command, holding the cycle
    with other:
        with pytest.raises(CycleBusyError) as caught, cycle_lock(cycle_dir, wait=0.1):
            pytest.fail("ran while another command held the cycle")
        assert "\n" not in str(caught.value) and str(cycle_dir) in str(caught.value)
        assert "nothing was changed" in str(caught.value)
    with cycle_lock(cycle_dir, wait=0.1):
        with cycle_lock(cycle_dir, wait=0.1):  # a command calling another keeps the lock it holds
            assert lock_path(cycle_dir) == cycle_dir.resolve() / LOCK_FILE
    with other.acquire(timeout=0.1):  # released at the end
        pass


def test_a_folder_that_is_no_cycle_is_not_locked(tmp_path):
    with cycle_lock(tmp_path, wait=0.1):
        assert not (tmp_path / LOCK_FILE).exists()


def test_a_cycle_being_made_is_locked_beside_its_folder_and_the_lock_removed_after(tmp_path):
    cycle = tmp_path / "new" / "cycle-2026-11-23"
    with cycle_lock(cycle, creating=True, wait=0.1):
        assert lock_path(cycle, creating=True) == (tmp_path / "new").resolve() / ".cycle-2026-11-23.cyclekit.lock"
        assert lock_path(cycle, creating=True).exists()
    assert not lock_path(cycle, creating=True).exists()


def test_only_what_a_killed_command_left_is_cleared(cycle_dir):
    left = [cycle_dir / ".results.xlsx.ab12CD_9.tmp", cycle_dir / "recounts" / ".R1.xlsx.x1y2z3w4.tmp",
            cycle_dir / ".results-backup.tmp"]
    left_dirs = [cycle_dir / ".finalize.k3j4h5g6", cycle_dir / ".cyclekit-lo-a1b2c3d4",
                 cycle_dir.parent / f".{cycle_dir.name}.q1w2e3r4"]
    kept = [cycle_dir / "results.xlsx", cycle_dir / ".notes.tmp", cycle_dir / "returned" / "a.xlsx",
            cycle_dir / ".results.xlsx.short.tmp", cycle_dir.parent / ".other-cycle.q1w2e3r4" / "x"]
    for path in left + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    for folder in left_dirs:
        (folder / "inside").mkdir(parents=True)
    removed = clear_leftovers(cycle_dir)
    assert sorted(removed) == sorted(left + left_dirs)
    assert not any(p.exists() for p in left + left_dirs)
    assert all(p.exists() for p in kept)
