"""Issue 10's physics: when noise keeps or breaks invariance, measured (Δ) and predicted (covariance).

Δ = largest |f(g·x) − f(x)| over D4 and random inputs, complex128. Default runs use the 6-qubit
register model (8×8 images) and few inputs; the ``slow`` versions use the 8-qubit model (16×16) and
20 inputs, as the acceptance criteria state.
"""

import numpy as np
import pytest
import torch

from equiqnn.groups import grid_d4
from equiqnn.models import control_qnn, invariant_qnn, symmetrized
from equiqnn.noise import (
    NoiseModel,
    amplitude_damping,
    bit_flip,
    depolarizing,
    generalized_amplitude_damping,
    pauli_channel,
    phase_damping,
    phase_flip,
)
from equiqnn.sim import covariance
from equiqnn.symmetry import check_invariance
from equiqnn.train import fit

KEEP, BREAK = 1e-9, 1e-4
FLIPS = ("flip_rows", "flip_cols", "r", "r2", "r3", "antitranspose")  # contain an X-string
PAULI = {
    "depolarizing": depolarizing(0.05),
    "bit_flip": bit_flip(0.05),
    "phase_flip": phase_flip(0.05),
    "pauli": pauli_channel(0.02, 0.01, 0.02),
}


def register(side=8, frame="X", noise=None, layers=1, seed=0, **kw):
    return invariant_qnn(
        grid_d4(side), encoding="register", frame=frame, layers=layers, noise=noise, seed=seed, **kw
    ).double()


def delta(model, n_inputs=6, seed=0):
    return check_invariance(model, model.example_inputs(n_inputs, seed=seed))


@pytest.mark.parametrize("name", sorted(PAULI))
def test_pauli_channels_after_every_gate_keep_the_register_model_invariant(name):
    report = delta(register(noise=NoiseModel.uniform(PAULI[name])))
    assert report.max_deviation < KEEP, report


def test_amplitude_damping_breaks_the_flips_and_keeps_the_transpose():
    report = delta(register(noise=NoiseModel.uniform(amplitude_damping(0.05))))
    assert report.per_element["transpose"] < KEEP
    assert min(report.per_element[g] for g in ("flip_rows", "flip_cols")) > BREAK, report


def test_amplitude_damping_breaking_is_first_order_in_gamma():
    models = {
        g: register(noise=NoiseModel.uniform(amplitude_damping(g)), seed=1) for g in (1e-3, 2e-3)
    }
    x = models[1e-3].example_inputs(20, seed=3)
    mean = {
        g: np.mean([v for k, v in check_invariance(m, x).per_element.items() if k in FLIPS])
        for g, m in models.items()
    }
    assert 1.7 < mean[2e-3] / mean[1e-3] < 2.1


def test_amplitude_damping_breaks_more_with_more_layers():
    nm = NoiseModel.uniform(amplitude_damping(0.02))
    x = register().example_inputs(12, seed=4)
    shallow = np.mean(
        [check_invariance(register(noise=nm, layers=1, seed=s), x).max_deviation for s in range(3)]
    )
    deep = np.mean(
        [check_invariance(register(noise=nm, layers=4, seed=s), x).max_deviation for s in range(3)]
    )
    assert deep > shallow


@pytest.mark.parametrize(
    "channel",
    [amplitude_damping(0.05), generalized_amplitude_damping(0.05, 0.1)],
    ids=["amplitude", "thermal"],
)
def test_the_z_frame_keeps_amplitude_damping_invariant(channel):
    report = delta(register(frame="Z", noise=NoiseModel.uniform(channel)))
    assert report.max_deviation < KEEP, report


def test_unequal_pauli_strengths_on_the_two_registers_break_the_transpose_only():
    rows = {q: depolarizing(0.05) for q in range(3)}
    cols = {q: depolarizing(0.01) for q in range(3, 6)}
    report = delta(register(noise=NoiseModel.per_qubit({**rows, **cols})))
    flips = [report.per_element[g] for g in ("flip_rows", "flip_cols", "r2")]
    swaps = [report.per_element[g] for g in ("transpose", "antitranspose", "r", "r3")]
    assert max(flips) < KEEP and min(swaps) > BREAK, report


def pixels(noise, layers=1):
    return invariant_qnn(grid_d4(3), encoding="angle", layers=layers, noise=noise).double()


def test_noise_after_each_overlapping_gate_breaks_a_qubit_permutation_even_when_depolarizing():
    report = delta(pixels(NoiseModel.uniform(depolarizing(0.05), placement="gate")), n_inputs=1)
    assert report.max_deviation > 1e-5, report


@pytest.mark.parametrize(
    "channel", [depolarizing(0.05), amplitude_damping(0.05)], ids=["dep", "ad"]
)
def test_noise_once_per_qubit_after_each_layer_keeps_a_qubit_permutation(channel):
    report = delta(pixels(NoiseModel.uniform(channel, placement="layer")), n_inputs=1)
    assert report.max_deviation < KEEP, report


def test_a_frozen_pauli_error_sample_breaks_invariance_and_is_labelled_as_not_a_channel():
    model = register(
        noise=NoiseModel.uniform(depolarizing(0.05)), engine="trajectories", frozen=True
    )
    assert "not a channel" in repr(model.engine)
    assert delta(model).max_deviation > 1e-3


def test_the_trajectory_average_is_invariant_within_its_statistical_error():
    nm = NoiseModel.uniform(depolarizing(0.05))
    ses = {}
    for t in (100, 400):
        model = register(noise=nm, engine="trajectories", n_trajectories=t, seed=2)
        x = model.example_inputs(4, seed=5)
        copies = model.group.act_all(x).reshape(-1, 8, 8)
        with torch.no_grad():
            mean, se = model.engine.run(model.theta, model.encoding.prepare(copies))
        mean, se = mean.reshape(8, 4), se.reshape(8, 4)
        dev = (mean - mean[0]).abs()
        bound = 4 * torch.sqrt(se**2 + se[0] ** 2)
        assert torch.all(dev <= bound + 1e-12)
        ses[t] = se.mean().item()
    assert 0.35 < ses[400] / ses[100] < 0.65  # ~ 1/sqrt(4)


NOISE_CASES = {
    "depolarizing": NoiseModel.uniform(depolarizing(0.05)),
    "amplitude": NoiseModel.uniform(amplitude_damping(0.05)),
    "phase_damping": NoiseModel.uniform(phase_damping(0.05)),
    "unequal_registers": NoiseModel.per_qubit(
        {q: depolarizing(0.05 if q < 3 else 0.01) for q in range(6)}
    ),
}


@pytest.mark.parametrize("name", sorted(NOISE_CASES))
def test_the_symmetrized_model_is_invariant_under_every_noise_model(name):
    model = symmetrized(control_qnn(grid_d4(8), layers=1, noise=NOISE_CASES[name])).double()
    assert delta(model, n_inputs=3).max_deviation < KEEP


@pytest.mark.parametrize("frame", ["X", "Z"])
@pytest.mark.parametrize("name", sorted(NOISE_CASES))
def test_covariance_predicts_which_elements_noise_breaks(name, frame):
    model = register(frame=frame, noise=NOISE_CASES[name])
    measured = delta(model, n_inputs=6).per_element
    predicted = covariance(model.noise, model.circuit, model.representation)
    for g, dev in measured.items():
        assert (dev > KEEP) == (predicted.deviation[g] > KEEP), (g, dev, predicted)


def test_covariance_of_the_pixel_model_tells_gate_from_layer_placement():
    rep = pixels(None).representation
    circuit = pixels(None).circuit
    gate = covariance(
        NoiseModel.uniform(depolarizing(0.05), placement="gate"), circuit, rep, n_probes=2
    )
    layer = covariance(
        NoiseModel.uniform(amplitude_damping(0.05), placement="layer"), circuit, rep, n_probes=2
    )
    assert not gate.is_covariant and "r" in gate.broken
    assert layer.is_covariant, layer


def test_covariance_is_exact_on_small_circuits_and_prints_its_verdict():
    model = invariant_qnn(
        grid_d4(4), encoding="register", layers=1
    )  # 4 qubits: full operator basis
    report = covariance(
        NoiseModel.uniform(amplitude_damping(0.1)), model.circuit, model.representation
    )
    assert report.method.startswith("exact")
    assert report.kept == ["e", "transpose"]
    assert repr(report).startswith("CovarianceReport(broken by ")


def test_invariant_model_and_matched_control_train_under_noise_through_fit():
    rng = np.random.default_rng(0)
    x = rng.random((24, 8, 8))
    y = (x[:, 3:5, 3:5].mean(axis=(1, 2)) > x.mean(axis=(1, 2))).astype(np.int64)
    nm = NoiseModel.uniform(depolarizing(0.02))
    for factory in (invariant_qnn, control_qnn):
        model = factory(grid_d4(8), layers=1, noise=nm).double()
        result = fit(model, (x[:16], y[:16]), (x[16:], y[16:]), epochs=3, progress=False)
        assert result.stopped_epoch == 3 and np.isfinite(result.best_val_loss)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PAULI) + ["amplitude_X", "amplitude_Z", "thermal_Z"])
def test_acceptance_on_the_8_qubit_register_model_with_20_inputs(name):
    if name in PAULI:
        model, keep_all = register(16, noise=NoiseModel.uniform(PAULI[name])), True
    elif name == "amplitude_X":
        model, keep_all = register(16, noise=NoiseModel.uniform(amplitude_damping(0.05))), False
    else:
        ch = (
            amplitude_damping(0.05)
            if name == "amplitude_Z"
            else generalized_amplitude_damping(0.05, 0.1)
        )
        model, keep_all = register(16, frame="Z", noise=NoiseModel.uniform(ch)), True
    report = delta(model, n_inputs=20)
    if keep_all:
        assert report.max_deviation < KEEP, report
    else:
        assert report.per_element["transpose"] < KEEP
        assert min(report.per_element[g] for g in FLIPS) > BREAK


def test_readout_error_in_the_engines_equals_the_confusion_matrix_on_probabilities():
    from equiqnn.circuits import AngleEncoding, hardware_efficient_ansatz
    from equiqnn.noise import readout_error
    from equiqnn.sim import DensityMatrixEngine, dense_states
    from equiqnn.symmetry import PauliSum

    ro = readout_error(0.02, 0.07)
    circuit = AngleEncoding(3).circuit() + hardware_efficient_ansatz(3, layers=1)
    gen = torch.Generator().manual_seed(0)
    p, x = (
        torch.rand(circuit.n_params, generator=gen, dtype=torch.float64),
        torch.rand(2, 3, generator=gen, dtype=torch.float64),
    )
    probs = ro.apply_to_probabilities((dense_states(circuit, p, x).abs() ** 2).numpy(), 3)
    zz = np.array([(1 - 2 * ((k >> 2) & 1)) * (1 - 2 * (k & 1)) for k in range(8)])
    got = DensityMatrixEngine(circuit, [PauliSum("ZIZ")], noise=NoiseModel(readout=ro))(p, x)[:, 0]
    np.testing.assert_allclose(got.numpy(), probs @ zz, rtol=0, atol=1e-12)


def test_uniform_readout_error_keeps_invariance_and_unequal_readout_breaks_the_transpose():
    from equiqnn.noise import ReadoutError, readout_error

    uniform = delta(register(noise=NoiseModel(readout=readout_error(0.03, 0.08))))
    assert uniform.max_deviation < KEEP
    skewed = ReadoutError(np.eye(2), per_qubit={0: [[0.9, 0.2], [0.1, 0.8]]})  # row qubit 0 only
    report = delta(register(noise=NoiseModel(readout=skewed)))
    assert report.per_element["transpose"] > BREAK and report.per_element["flip_rows"] < KEEP
