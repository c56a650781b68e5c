"""Parameters outside the physical range, or of the wrong type, raise clear errors."""

import math

import numpy as np
import pytest
import torch

from equiqnn.noise import (
    Channel,
    amplitude_damping,
    bit_flip,
    depolarizing,
    depolarizing2,
    generalized_amplitude_damping,
    over_rotation,
    pauli_channel,
    phase_damping,
    phase_flip,
    readout_error,
    thermal_relaxation,
)


@pytest.mark.parametrize(
    ("factory", "args", "match"),
    [
        (depolarizing, (1.3,), r"p must be a probability in \[0, 1\]; got 1\.3"),
        (depolarizing, (-0.1,), r"p must be a probability in \[0, 1\]; got -0\.1"),
        (depolarizing2, (2.0,), r"p must be a probability"),
        (bit_flip, (math.nan,), r"p must be a finite real number; got nan"),
        (phase_flip, (math.inf,), r"p must be a finite real number"),
        (pauli_channel, (0.5, 0.4, 0.2), r"px \+ py \+ pz must be <= 1"),
        (pauli_channel, (0.1, -0.1, 0.2), r"py must be a probability .* got -0\.1"),
        (amplitude_damping, (1.5,), r"gamma must be a probability .* got 1\.5"),
        (generalized_amplitude_damping, (0.1, 1.2), r"p_excited must be a probability"),
        (generalized_amplitude_damping, (-1.0, 0.2), r"gamma must be a probability"),
        (phase_damping, (1.01,), r"lam must be a probability"),
        (thermal_relaxation, (10.0, 25.0, 1.0), r"t2 must be <= 2\*t1.*t1=10\.0, t2=25\.0"),
        (thermal_relaxation, (0.0, 1.0, 1.0), r"t1 must be a positive time"),
        (thermal_relaxation, (1.0, -1.0, 1.0), r"t2 must be a positive time"),
        (thermal_relaxation, (1.0, 1.0, -0.5), r"gate_time must be >= 0; got -0\.5"),
        (thermal_relaxation, (1.0, 1.0, 1.0, 2.0), r"p_excited must be a probability"),
        (over_rotation, (math.nan,), r"epsilon must be a finite real number"),
        (over_rotation, (0.1, "W"), r"axis must be a non-empty string of the letters I, X, Y, Z"),
        (over_rotation, (0.1, "x"), r"axis must be a non-empty string"),
        (over_rotation, (0.1, "II"), r"axis must be a non-identity Pauli string"),
        (over_rotation, (0.1, "XYZ"), r"axis must be a non-identity Pauli string on one or two"),
        (readout_error, (0.1, 1.1), r"p10 must be a probability"),
    ],
)
def test_invalid_values_raise_value_error(factory, args, match):
    with pytest.raises(ValueError, match=match):
        factory(*args)


@pytest.mark.parametrize("bad", [torch.tensor(0.1), np.array([0.1]), "0.1", True, None])
def test_non_float_strengths_raise_type_error(bad):
    with pytest.raises(TypeError, match="p must be a real number"):
        depolarizing(bad)


def test_tensor_strength_error_suggests_float():
    with pytest.raises(TypeError, match=r"not supported yet; pass a Python float, e\.g\. float"):
        amplitude_damping(torch.tensor(0.1, requires_grad=True))


def test_numpy_and_int_scalars_are_accepted():
    assert depolarizing(np.float32(0.25)).params == {"p": 0.25}
    assert bit_flip(0).params == {"p": 0.0}
    assert isinstance(bit_flip(1).params["p"], float)


def test_axis_type_error():
    with pytest.raises(TypeError, match="axis must be a Pauli string"):
        over_rotation(0.1, axis=0)


@pytest.mark.parametrize(
    ("kraus", "match"),
    [
        ([], "at least one operator"),
        ([np.eye(3)], r"must be a \(2, 2\) or \(4, 4\) matrix"),
        ([np.eye(2), np.zeros((4, 4))], "same shape"),
        ([0.5 * np.eye(2)], r"Σ K†K = I \(trace preserving\); got a deviation of 0\.75"),
        ([np.full((2, 2), np.nan)], "must be finite"),
    ],
)
def test_from_kraus_validation(kraus, match):
    with pytest.raises(ValueError, match=match):
        Channel.from_kraus(kraus)


def test_commutes_with_validates_letters():
    ch = amplitude_damping(0.1)
    with pytest.raises(ValueError, match=r"one letter per qubit \(1\); got 'XX'"):
        ch.commutes_with("XX")
    with pytest.raises(ValueError, match="letters I, X, Y, Z"):
        ch.commutes_with("Q")
    with pytest.raises(TypeError, match="pauli_letters must be a Pauli string"):
        ch.commutes_with(1)


def test_pauli_probs_of_non_pauli_channel_raises():
    with pytest.raises(
        ValueError, match=r"only for Pauli channels.*amplitude_damping\(gamma=0\.1\)"
    ):
        _ = amplitude_damping(0.1).pauli_probs


def test_channel_is_immutable():
    ch = depolarizing(0.1)
    with pytest.raises(AttributeError, match="immutable"):
        ch.name = "x"
    with pytest.raises(AttributeError, match="immutable"):
        del ch._kraus
    params = ch.params
    params["p"] = 0.9
    assert ch.params == {"p": 0.1}


def test_with_strength_validates_and_needs_a_family():
    with pytest.raises(ValueError, match="p must be a probability"):
        depolarizing(0.1).with_strength(1.5)
    with pytest.raises(ValueError, match="has no strength parameter"):
        Channel.from_kraus([np.eye(2)]).with_strength(0.1)
    with pytest.raises(ValueError, match="no direction to rescale"):
        pauli_channel(0.0, 0.0, 0.0).with_strength(0.1)
    with pytest.raises(ValueError, match=r"strength \(px \+ py \+ pz\) must be a probability"):
        pauli_channel(0.1, 0.0, 0.1).with_strength(1.2)
