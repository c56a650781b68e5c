"""DLA dimensions of the shipped model families (they predict trainability).

    python -m equiqnn.experiments.dla_families [--quick]

prints a markdown table: S_n models (ΣX, ΣY, ΣZZ) against the closed form C(n+3, 3) − ⌊n/2⌋, the D4
grid and translation ring with one qubit per pixel (twirled X, Y, Z singles and nearest-neighbour
ZZ, XX, YY), and the register model (its six slot generators). Closures stop at ``max_dim``
(marked "≥").
"""

from __future__ import annotations

import argparse
import time

from equiqnn.circuits import AngleEncoding, PauliRotation, RegisterAmplitude, register_ansatz
from equiqnn.circuits.ansatz import equivariant_generators_for
from equiqnn.groups import cyclic, grid_d4, symmetric
from equiqnn.symmetry import PauliSum, dla_table, format_dla_table, sn_dla_dimension, sn_generators

__all__ = ["families", "main"]


def register_generators(side: int) -> list[PauliSum]:
    """One Pauli sum per parameter slot of one register-model layer (gates sharing a slot commute)."""
    circuit = register_ansatz(side, layers=1)
    terms: dict[int, dict[str, float]] = {}
    for op in circuit.ops:
        if isinstance(op, PauliRotation):
            terms.setdefault(op.slot, {})[op.pauli] = op.coeff
    return [PauliSum(t, circuit.n_qubits) for _, t in sorted(terms.items())]


def families(quick: bool = False) -> list[tuple]:
    rows: list[tuple] = []
    for n in range(3, 6 if quick else 8):
        rep = AngleEncoding(n).representation(symmetric(n))
        rows.append((f"S{n} (formula {sn_dla_dimension(n)})", sn_generators(n), rep, "ΣX, ΣY, ΣZZ"))
    for side, cap in ((2, None), (3, 1000)):
        rep = AngleEncoding((side, side)).representation(grid_d4(side))
        rows.append(
            (
                f"D4 {side}x{side} pixels",
                equivariant_generators_for(rep),
                rep,
                "twirled X,Y,Z + nn ZZ,XX,YY",
                cap,
            )
        )
    for n in range(4, 6 if quick else 7):
        rep = AngleEncoding(n).representation(cyclic(n))
        rows.append(
            (f"C{n} ring", equivariant_generators_for(rep), rep, "twirled X,Y,Z + nn ZZ,XX,YY")
        )
    rep = RegisterAmplitude(8).representation(grid_d4(8))
    rows.append(("register 8x8", register_generators(8), rep, "6 slot generators (RX pairs, YYYY)"))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller n (seconds instead of minutes)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    print(format_dla_table(dla_table(families(args.quick))))
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
