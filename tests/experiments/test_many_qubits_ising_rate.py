"""The Ising study's S_n learning rate: fixed, or scaled as (ref / n)² with the qubit count."""

from __future__ import annotations

import pytest

from equiqnn.experiments.many_qubits_spec import IsingSpec


def test_sn_rate_defaults_to_the_shared_rate() -> None:
    spec = IsingSpec(lr=0.05)
    assert spec.sn_rate(16) == spec.sn_rate(1024) == 0.05


def test_sn_rate_scales_with_the_inverse_square_of_the_qubits() -> None:
    spec = IsingSpec(lr=0.05, sn_lr=0.005, sn_lr_ref_qubits=64)
    assert spec.sn_rate(64) == pytest.approx(0.005)
    assert spec.sn_rate(256) == pytest.approx(0.005 / 16)
    assert spec.sn_rate(16) == pytest.approx(0.08)


def test_bad_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="sn_lr"):
        IsingSpec(sn_lr=0.0)
    with pytest.raises(ValueError, match="sn_lr_ref_qubits"):
        IsingSpec(sn_lr_ref_qubits=0)
