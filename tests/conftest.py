"""Fixtures shared by the whole test suite.

Sections: external tools (LibreOffice) first, then output folders. Add new shared fixtures
under the section they belong to, or a new section; keep test-specific ones in their test file.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from cyclekit.backends.libreoffice import find_soffice
from cyclekit.errors import MissingToolError
from cyclekit.folder.seal import ledger_file, signing_key

# --- The signing key ---------------------------------------------------------------------------
# Every cycle a test makes is sealed (cyclekit.folder.seal) with a key made for this test run in a
# temporary folder, never the user's own (~/.config/cyclekit/signing.key); set here, before any test
# runs, so that the commands tests start as processes use it too.

_KEY_DIR = tempfile.mkdtemp(prefix="cyclekit-test-key-")
os.environ.pop("CYCLEKIT_SIGNING_KEY", None)
os.environ["CYCLEKIT_SIGNING_KEY_FILE"] = str(Path(_KEY_DIR) / "signing.key")
atexit.register(shutil.rmtree, _KEY_DIR, ignore_errors=True)
signing_key()  # made now: a test that fails writes on purpose must not meet the key's first write


@pytest.fixture(autouse=True)
def _fresh_ledger_of_signed_cycles() -> None:
    """Each test starts with no cycle signed (the ledger beside the key, cyclekit.folder.seal):
    tests reuse cycle ids, and a cycle one test signed would read as tampered in another that
    plays an older, unsigned cycle of the same id."""
    ledger_file().unlink(missing_ok=True)


# --- External tools ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def soffice() -> str:
    """Path of LibreOffice's soffice; tests that check a real spreadsheet engine request it.

    Missing LibreOffice skips those tests on a developer machine, but fails them in CI
    (CI=true): CI must never pass by silently skipping the real-engine checks.
    """
    try:
        return find_soffice()
    except MissingToolError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and LibreOffice is missing: {error}")
        pytest.skip(str(error))


# --- Output folders ---------------------------------------------------------------------------


@pytest.fixture
def lo_out(tmp_path: Path) -> Path:
    """A fresh folder for LibreOffice's outputs, apart from the inputs written in tmp_path."""
    out = tmp_path / "lo"
    out.mkdir()
    return out


# --- No fork while threads run ----------------------------------------------------------------
# Python 3.12+ warns when a process with threads forks ("may lead to deadlocks in the child"). A
# filter cannot make it an error (Python drops a warning raised from inside fork), so every such
# warning is recorded, listed at the end, and fails the run.

FORK_WITH_THREADS = "is multi-threaded, use of fork()"
_forks_with_threads: list[str] = []


def pytest_warning_recorded(warning_message, when, nodeid, location):  # noqa: ANN001 (pytest's hook)
    if FORK_WITH_THREADS in str(warning_message.message):
        _forks_with_threads.append(f"{nodeid or when}: {warning_message.message}")


def pytest_terminal_summary(terminalreporter):  # noqa: ANN001
    for line in dict.fromkeys(_forks_with_threads):
        terminalreporter.write_line(f"FORK WHILE THREADS RUN: {line}", red=True)


def pytest_sessionfinish(session, exitstatus):  # noqa: ANN001
    if _forks_with_threads and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --- Golden files -----------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/workbooks/ from the workbooks generated now (review the diff)")
