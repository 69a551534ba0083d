"""Shared fixtures: one Anny build per session, reproducible torch settings."""

import pytest
import torch

# Tests use tiny tensors: one thread avoids OpenMP spin-waits on a busy 2-core machine.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def anny_small():
    from robosmplx.body import load_body_model

    return load_body_model("anny-small")


@pytest.fixture(scope="session")
def anny_full():
    from robosmplx.body import load_body_model

    return load_body_model("anny")
