"""Noise models survive a round trip through plain JSON (checkpoints and study configs)."""

import json

import pytest

from equiqnn.noise import (
    NoiseModel,
    ReadoutError,
    amplitude_damping,
    channel_from_config,
    depolarizing,
    depolarizing2,
    noise_from_config,
    noise_to_config,
    phase_damping,
    thermal_relaxation,
)

MODELS = [
    NoiseModel.uniform(depolarizing(0.01)),
    NoiseModel.uniform(amplitude_damping(0.05), placement="layer", idle=phase_damping(0.02)),
    NoiseModel(thermal_relaxation(1.0, 0.8, 0.1), two_qubit=depolarizing2(0.02)),
    NoiseModel.per_qubit({0: depolarizing(0.05), 2: None}),
    NoiseModel(
        depolarizing(0.01),
        readout=ReadoutError([[0.9, 0.2], [0.1, 0.8]], per_qubit={1: [[1, 0], [0, 1]]}),
    ),
    None,
]


@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_noise_config_round_trips_through_json(model):
    cfg = json.loads(json.dumps(noise_to_config(model)))
    assert noise_from_config(cfg) == model


def test_unknown_channel_and_keys_are_refused():
    with pytest.raises(ValueError, match=r"channel config"):
        channel_from_config({"name": "telepathy", "params": {}})
    with pytest.raises(ValueError, match=r"unknown noise config keys \['strenght'\]"):
        noise_from_config({"channel": None, "strenght": 1})
