"""Test-session wiring shared by every test folder.

Server fixtures live in ``tests/plugins/`` (one module per real component) so each
can be read on its own.  Tests that read the team materials in ``../shared`` carry the
``materials`` marker and are skipped, with the reason printed, when that folder is not
beside the checkout (a user's clone); CI has it, so there they run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = [
    "tests.plugins.postgres",
    "tests.plugins.mail_rig",
    "tests.plugins.sandbox_erp",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
MATERIALS = REPO_ROOT.parent / "shared"


def materials_present() -> bool:
    return (MATERIALS / "bench" / "FORMAT.md").is_file()


@pytest.fixture(scope="session")
def materials_dir() -> Path:
    """The team materials folder ``../shared`` (only for tests marked ``materials``)."""
    if not materials_present():
        pytest.skip(f"team materials not found at {MATERIALS}: materials tests need ../shared")
    return MATERIALS


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if materials_present():
        return
    skip = pytest.mark.skip(
        reason=f"team materials not found at {MATERIALS} (a user's clone has no ../shared); "
        "these tests run in CI where it is present"
    )
    for item in items:
        if "materials" in item.keywords:
            item.add_marker(skip)
