"""Fixtures shared by the whole test suite.

Sections: external tools (LibreOffice) first, then output folders. Add new shared fixtures
under the section they belong to, or a new section; keep test-specific ones in their test file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cyclekit.backends.libreoffice import find_soffice
from cyclekit.errors import MissingToolError

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


# --- Golden files -----------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/workbooks/ from the workbooks generated now (review the diff)")
