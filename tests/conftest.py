"""Shared fixtures: where the public test corpora live."""
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_data_dir():
    """../shared/data beside the project (PAQLSTM_DATA overrides); None when absent."""
    path = Path(os.environ.get("PAQLSTM_DATA", REPO.parent / "shared" / "data"))
    return path if (path / "alice29.txt").is_file() else None


@pytest.fixture(scope="session")
def shared_data():
    path = shared_data_dir()
    if path is None:
        pytest.skip("shared corpora (../shared/data) not available")
    return path
