"""Engines follow the device and dtype of the module they serve (runs where CUDA exists)."""

import pytest
import torch

from equiqnn.groups import grid_d4
from equiqnn.models import invariant_qnn
from equiqnn.noise import NoiseModel, amplitude_damping

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")


def test_double_switches_the_engine_to_complex128_and_back():
    model = invariant_qnn(grid_d4(8), layers=1)
    x = model.example_inputs(3)
    assert model(x).dtype == torch.float32
    assert model.double()(x.double()).dtype == torch.float64
    assert model.float()(x).dtype == torch.float32


@cuda
@pytest.mark.parametrize(
    "noise", [None, NoiseModel.uniform(amplitude_damping(0.05))], ids=["clean", "noisy"]
)
def test_a_model_moved_to_cuda_gives_the_cpu_outputs(noise):
    model = invariant_qnn(grid_d4(8), layers=2, noise=noise).double()
    x = model.example_inputs(4)
    cpu = model(x)
    gpu = model.to("cuda")(x.to("cuda"))
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=0, atol=1e-10)
