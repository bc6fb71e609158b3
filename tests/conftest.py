from pathlib import Path

import pytest
import torch

from marlbc import config

ROOT = Path(__file__).resolve().parents[1]

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def cfg() -> dict:
    """The repository's config.yaml, validated."""
    return config.load(ROOT / "config.yaml")
