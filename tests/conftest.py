"""Shared test settings: hypothesis profiles and a deterministic torch setup."""

import os

import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
# one thread: the test states are small, and two threads contend badly on a loaded 2-core machine
torch.set_num_threads(1)
