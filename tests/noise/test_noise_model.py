"""NoiseModel: construction, validation, pinned reprs, and the placement semantics for engines."""

import pickle

import pytest

from equiqnn.noise import (
    PLACEMENTS,
    NoiseModel,
    amplitude_damping,
    bit_flip,
    depolarizing,
    depolarizing2,
    phase_damping,
    readout_error,
)

DEP = depolarizing(0.01)


@pytest.mark.parametrize(
    ("model", "text"),
    [
        (NoiseModel.uniform(DEP), "NoiseModel(depolarizing(p=0.01) after every gate)"),
        (
            NoiseModel.uniform(DEP, placement="layer"),
            "NoiseModel(depolarizing(p=0.01) once per qubit after each layer)",
        ),
        (NoiseModel.none(), "NoiseModel(noiseless)"),
        (NoiseModel(), "NoiseModel(noiseless)"),
        (
            NoiseModel(DEP, per_qubit={2: amplitude_damping(0.1), 0: None}),
            "NoiseModel(depolarizing(p=0.01) (qubit 0: noiseless, qubit 2: "
            "amplitude_damping(gamma=0.1)) after every gate)",
        ),
        (
            NoiseModel.per_qubit([bit_flip(0.1), None, bit_flip(0.2)], placement="layer"),
            "NoiseModel(qubit 0: bit_flip(p=0.1), qubit 2: bit_flip(p=0.2) once per qubit after "
            "each layer)",
        ),
        (
            NoiseModel.uniform(
                DEP,
                two_qubit=depolarizing2(0.02),
                idle=phase_damping(0.001),
                readout=readout_error(0.01, 0.02),
            ),
            "NoiseModel(depolarizing(p=0.01) after every gate; two-qubit gates: "
            "depolarizing2(p=0.02); idle: phase_damping(lam=0.001); readout: "
            "readout_error(p01=0.01, p10=0.02))",
        ),
        (
            NoiseModel(readout=readout_error(0.01, 0.0)),
            "NoiseModel(readout: readout_error(p01=0.01, p10=0.0))",
        ),
    ],
)
def test_repr_is_pinned(model, text):
    assert repr(model) == text
    assert "\n" not in repr(model)


def test_channel_for_and_uniformity():
    ad = amplitude_damping(0.1)
    model = NoiseModel(DEP, per_qubit={1: ad, 3: None})
    assert [model.channel_for(q) for q in range(5)] == [DEP, ad, DEP, None, DEP]
    assert not model.is_uniform
    assert NoiseModel.uniform(DEP).is_uniform
    assert NoiseModel(DEP, per_qubit={0: depolarizing(0.01)}).is_uniform
    assert not NoiseModel.per_qubit({0: DEP}).is_uniform
    assert NoiseModel.none().is_noiseless and not NoiseModel.none().is_uniform
    assert NoiseModel.per_qubit([None, None]).is_noiseless
    assert not NoiseModel(readout=readout_error(0.1, 0.1)).is_noiseless
    assert model.overrides == {1: ad, 3: None}


def test_ops_after_gate_and_layer():
    d2 = depolarizing2(0.05)
    idle = phase_damping(0.01)
    gate = NoiseModel(DEP, per_qubit={1: None}, two_qubit=d2, idle=idle)
    assert gate.ops_after_gate([0]) == ((DEP, (0,)),)
    assert gate.ops_after_gate([1]) == ()
    assert gate.ops_after_gate([2, 0]) == ((d2, (2, 0)),)
    assert NoiseModel(DEP).ops_after_gate([2, 0]) == ((DEP, (2,)), (DEP, (0,)))
    assert gate.ops_after_layer(3, touched=[0, 1]) == ((idle, (2,)),)
    layer = NoiseModel(DEP, placement="layer", idle=idle)
    assert layer.ops_after_gate([0, 1]) == ()
    assert layer.ops_after_layer(2, touched=[0]) == ((DEP, (0,)), (DEP, (1,)), (idle, (1,)))


def test_with_strength():
    model = NoiseModel(
        DEP,
        per_qubit={1: amplitude_damping(0.1), 2: None},
        two_qubit=depolarizing2(0.02),
        idle=phase_damping(0.001),
        readout=readout_error(0.01, 0.01),
    )
    swept = model.with_strength(0.05)
    assert swept.channel == depolarizing(0.05)
    assert swept.overrides == {1: amplitude_damping(0.05), 2: None}
    assert swept.two_qubit == depolarizing2(0.02) and swept.idle == phase_damping(0.001)
    assert swept.readout == model.readout and swept.placement == "gate"
    both = model.with_strength(0.05, two_qubit=0.1, idle=0.2)
    assert both.two_qubit == depolarizing2(0.1) and both.idle == phase_damping(0.2)
    assert NoiseModel.none().with_strength(0.3) == NoiseModel.none()


def test_equality_hash_pickle_and_immutability():
    a = NoiseModel(DEP, per_qubit={1: bit_flip(0.1)}, readout=readout_error(0.1, 0.0))
    b = NoiseModel(depolarizing(0.01), per_qubit={1: bit_flip(0.1)}, readout=readout_error(0.1, 0))
    assert a == b and hash(a) == hash(b)
    assert a != NoiseModel(DEP, per_qubit={1: bit_flip(0.1)}, placement="layer")
    assert pickle.loads(pickle.dumps(a)) == a
    with pytest.raises(AttributeError, match="immutable"):
        a.placement = "layer"


def test_validate_checks_qubit_indices():
    NoiseModel(DEP, per_qubit={2: None}).validate(3)
    with pytest.raises(ValueError, match=r"per_qubit names qubits \[3, 5\], but the circuit has 3"):
        NoiseModel(DEP, per_qubit={3: DEP, 5: DEP, 0: DEP}).validate(3)
    with pytest.raises(ValueError, match=r"n_qubits must be >= 1; got 0"):
        NoiseModel.none().validate(0)
    with pytest.raises(ValueError, match=r"readout per_qubit names qubits \[7\]"):
        NoiseModel(readout=readout_error(0.0, 0.0, per_qubit={7: (0.1, 0.1)})).validate(4)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: NoiseModel(DEP, placement="after"),
            ValueError,
            r"placement must be one of \('gate', 'layer'\); got 'after'",
        ),
        (lambda: NoiseModel(0.01), TypeError, r"channel must be a Channel .* got float"),
        (
            lambda: NoiseModel(depolarizing2(0.1)),
            ValueError,
            r"channel must act on 1 qubit.*Pass two-qubit channels as two_qubit",
        ),
        (lambda: NoiseModel(DEP, two_qubit=DEP), ValueError, "two_qubit must act on 2 qubit"),
        (
            lambda: NoiseModel(DEP, placement="layer", two_qubit=depolarizing2(0.1)),
            ValueError,
            "two_qubit applies only with placement='gate'",
        ),
        (lambda: NoiseModel(DEP, per_qubit={-1: DEP}), ValueError, "non-negative integer"),
        (lambda: NoiseModel(DEP, per_qubit={0: 0.1}), TypeError, r"per_qubit\[0\] must be a"),
        (lambda: NoiseModel(DEP, per_qubit=[DEP]), TypeError, "NoiseModel.per_qubit"),
        (lambda: NoiseModel(DEP, readout=0.1), TypeError, "readout must be a ReadoutError"),
        (lambda: NoiseModel(DEP, idle=depolarizing2(0.1)), ValueError, "idle must act on 1"),
        (lambda: NoiseModel.uniform(None), ValueError, r"NoiseModel.none\(\)"),
        (lambda: NoiseModel.per_qubit(DEP), TypeError, "channels must be a dict"),
        (lambda: NoiseModel(DEP).channel_for(-2), ValueError, "qubit must be a non-negative"),
    ],
)
def test_model_validation(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_placements_constant():
    assert PLACEMENTS == ("gate", "layer")
