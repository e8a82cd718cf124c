"""Shared fixtures: the real data beside the repository, skipped cleanly when missing."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; the test is skipped when it is not there."""
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip("../shared/data is not available")
    return SHARED_DATA


def shared_file(*parts: str) -> Path:
    """A file under ``../shared/data``, or skip the calling test."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """CI has 2 cores: one torch thread per test process avoids oversubscription (and is faster)."""
    import torch

    torch.set_num_threads(1)
    yield
