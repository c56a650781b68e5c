"""``NoiseModel``: which channel acts where, with what strength. A description; engines apply it.

Semantics (engines must follow these; ``ops_after_gate`` / ``ops_after_layer`` spell them out):

* ``placement="gate"`` (the common convention): after every gate, ``channel_for(q)`` acts on each
  qubit ``q`` the gate touches. After a two-qubit gate, ``two_qubit`` (if given) acts on the
  pair ``(q0, q1)`` *instead of* the single-qubit channels.
* ``placement="layer"``: once per layer, ``channel_for(q)`` acts on every qubit ``q``.
* ``idle`` (either placement): once per layer on each qubit that no gate of the layer touches.
* ``readout``: applied to measurement statistics (``ReadoutError``).

``channel_for(q)`` is the per-qubit override for ``q`` if any, else the default ``channel``;
``None`` means that qubit is noiseless.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from equiqnn.noise._validate import qubit_index
from equiqnn.noise.channel import Channel
from equiqnn.noise.readout import ReadoutError

__all__ = ["NoiseModel", "PLACEMENTS"]

PLACEMENTS = ("gate", "layer")
_WHERE = {"gate": "after every gate", "layer": "once per qubit after each layer"}
Op = tuple[Channel, tuple[int, ...]]


def _channel(value: Any, name: str, n_qubits: int) -> Channel | None:
    if value is None:
        return None
    if not isinstance(value, Channel):
        raise TypeError(
            f"{name} must be a Channel (e.g. depolarizing(0.01)) or None; got "
            f"{type(value).__name__}."
        )
    if value.n_qubits != n_qubits:
        hint = " Pass two-qubit channels as two_qubit=..." if n_qubits == 1 else ""
        raise ValueError(
            f"{name} must act on {n_qubits} qubit(s); got {value!r} on {value.n_qubits}.{hint}"
        )
    return value


class NoiseModel:
    """Where noise acts in a circuit (see the module docstring for the exact semantics).

    Args:
        channel: single-qubit channel for every qubit (None: noiseless unless overridden).
        placement: ``"gate"`` (after every gate on the qubits it touches) or ``"layer"`` (once per
            qubit after each layer).
        per_qubit: ``{qubit: single-qubit Channel or None}`` overrides of ``channel`` (None makes
            that qubit noiseless).
        idle: single-qubit channel on qubits idle during a layer.
        readout: readout error applied to measurement statistics.
        two_qubit: two-qubit channel after each two-qubit gate (``placement="gate"`` only).

    >>> from equiqnn.noise import depolarizing
    >>> NoiseModel.uniform(depolarizing(0.01))
    NoiseModel(depolarizing(p=0.01) after every gate)
    """

    __slots__ = ("_channel", "_placement", "_overrides", "_idle", "_readout", "_two_qubit")
    _channel: Channel | None
    _placement: str
    _overrides: dict[int, Channel | None]
    _idle: Channel | None
    _readout: ReadoutError | None
    _two_qubit: Channel | None

    def __init__(
        self,
        channel: Channel | None = None,
        *,
        placement: str = "gate",
        per_qubit: Mapping[int, Channel | None] | None = None,
        idle: Channel | None = None,
        readout: ReadoutError | None = None,
        two_qubit: Channel | None = None,
    ) -> None:
        if not isinstance(placement, str) or placement not in PLACEMENTS:
            raise ValueError(f"placement must be one of {PLACEMENTS}; got {placement!r}.")
        if per_qubit is not None and not isinstance(per_qubit, Mapping):
            raise TypeError(
                f"per_qubit must be a mapping {{qubit: Channel}}; got {type(per_qubit).__name__}. "
                "Use NoiseModel.per_qubit(list_of_channels) for a list."
            )
        if readout is not None and not isinstance(readout, ReadoutError):
            raise TypeError(
                f"readout must be a ReadoutError (e.g. readout_error(0.01, 0.02)) or None; got "
                f"{type(readout).__name__}."
            )
        if two_qubit is not None and placement != "gate":
            raise ValueError(
                f"two_qubit applies only with placement='gate' (after each two-qubit gate); got "
                f"placement={placement!r}. Drop two_qubit or use placement='gate'."
            )
        overrides = {
            qubit_index(q, "per_qubit key"): _channel(ch, f"per_qubit[{q}]", 1)
            for q, ch in (per_qubit or {}).items()
        }
        overrides = dict(sorted(overrides.items()))
        set_ = object.__setattr__
        set_(self, "_channel", _channel(channel, "channel", 1))
        set_(self, "_placement", placement)
        set_(self, "_overrides", overrides)
        set_(self, "_idle", _channel(idle, "idle", 1))
        set_(self, "_readout", readout)
        set_(self, "_two_qubit", _channel(two_qubit, "two_qubit", 2))

    # --- constructors ------------------------------------------------------------------------
    @classmethod
    def uniform(
        cls,
        channel: Channel,
        placement: str = "gate",
        *,
        idle: Channel | None = None,
        readout: ReadoutError | None = None,
        two_qubit: Channel | None = None,
    ) -> NoiseModel:
        """The same single-qubit ``channel`` on every qubit."""
        if channel is None:
            raise ValueError("uniform needs a Channel; got None. Use NoiseModel.none() instead.")
        return cls(channel, placement=placement, idle=idle, readout=readout, two_qubit=two_qubit)

    @classmethod
    def per_qubit(
        cls,
        channels: Mapping[int, Channel | None] | Sequence[Channel | None],
        placement: str = "gate",
        *,
        idle: Channel | None = None,
        readout: ReadoutError | None = None,
        two_qubit: Channel | None = None,
    ) -> NoiseModel:
        """A channel per qubit: ``{qubit: Channel}`` or a list indexed by qubit (None: noiseless).

        Qubits not listed are noiseless.
        """
        if isinstance(channels, Mapping):
            mapping = dict(channels)
        elif isinstance(channels, Sequence) and not isinstance(channels, str):
            mapping = {q: ch for q, ch in enumerate(channels) if ch is not None}
        else:
            raise TypeError(
                f"channels must be a dict {{qubit: Channel}} or a list of Channels; got "
                f"{type(channels).__name__}."
            )
        return cls(
            None,
            placement=placement,
            per_qubit=mapping,
            idle=idle,
            readout=readout,
            two_qubit=two_qubit,
        )

    @classmethod
    def none(cls) -> NoiseModel:
        """The noiseless model."""
        return cls(None)

    # --- description -------------------------------------------------------------------------
    @property
    def channel(self) -> Channel | None:
        """The default single-qubit channel (None: no default)."""
        return self._channel

    @property
    def placement(self) -> str:
        """``"gate"`` or ``"layer"``."""
        return self._placement

    @property
    def idle(self) -> Channel | None:
        """Channel on qubits idle during a layer, or None."""
        return self._idle

    @property
    def readout(self) -> ReadoutError | None:
        """Readout error, or None."""
        return self._readout

    @property
    def two_qubit(self) -> Channel | None:
        """Channel after each two-qubit gate (replacing the single-qubit ones), or None."""
        return self._two_qubit

    @property
    def overrides(self) -> dict[int, Channel | None]:
        """Copy of the per-qubit overrides ``{qubit: Channel or None}``, sorted by qubit."""
        return dict(self._overrides)

    def channel_for(self, qubit: int) -> Channel | None:
        """The single-qubit channel on ``qubit`` (override, else default; None: noiseless)."""
        return self._overrides.get(qubit_index(qubit, "qubit"), self._channel)

    @property
    def is_uniform(self) -> bool:
        """Whether every qubit index gets the same (non-None) single-qubit channel."""
        return self._channel is not None and all(
            ch == self._channel for ch in self._overrides.values()
        )

    @property
    def is_noiseless(self) -> bool:
        """Whether the model adds no noise at all."""
        singles = [self._channel, *self._overrides.values()]
        return all(ch is None for ch in singles) and all(
            x is None for x in (self._idle, self._readout, self._two_qubit)
        )

    def validate(self, n_qubits: int) -> None:
        """Raise ``ValueError`` if a (readout) override names a qubit ``>= n_qubits``."""
        if qubit_index(n_qubits, "n_qubits") < 1:
            raise ValueError(f"n_qubits must be >= 1; got {n_qubits!r}.")
        bad = sorted(q for q in self._overrides if q >= n_qubits)
        if bad:
            raise ValueError(
                f"per_qubit names qubits {bad}, but the circuit has {n_qubits} qubits (indices "
                f"0..{n_qubits - 1}). Remove those entries or use a larger circuit."
            )
        if self._readout is not None:
            self._readout.validate(n_qubits)

    # --- for engines ---------------------------------------------------------------------------
    def ops_after_gate(self, qubits: Sequence[int]) -> tuple[Op, ...]:
        """``(channel, target qubits)`` to apply after a gate on ``qubits`` (empty for 'layer')."""
        qs = tuple(qubit_index(q, "gate qubit") for q in qubits)
        if self._placement != "gate":
            return ()
        if len(qs) == 2 and self._two_qubit is not None:
            return ((self._two_qubit, qs),)
        return tuple((ch, (q,)) for q in qs if (ch := self.channel_for(q)) is not None)

    def ops_after_layer(self, n_qubits: int, touched: Iterable[int] = ()) -> tuple[Op, ...]:
        """``(channel, (qubit,))`` to apply after a layer whose gates touched ``touched``."""
        busy = {qubit_index(q, "touched qubit") for q in touched}
        ops: list[Op] = []
        for q in range(n_qubits):
            ch = self.channel_for(q) if self._placement == "layer" else None
            if ch is not None:
                ops.append((ch, (q,)))
            if self._idle is not None and q not in busy:
                ops.append((self._idle, (q,)))
        return tuple(ops)

    def with_strength(
        self, strength: float, *, two_qubit: float | None = None, idle: float | None = None
    ) -> NoiseModel:
        """The model with the default channel and every per-qubit override at ``strength``.

        ``two_qubit`` and ``idle`` keep their strengths unless given here; readout is unchanged.
        """
        return NoiseModel(
            None if self._channel is None else self._channel.with_strength(strength),
            placement=self._placement,
            per_qubit={
                q: None if ch is None else ch.with_strength(strength)
                for q, ch in self._overrides.items()
            },
            idle=(
                self._idle if idle is None or self._idle is None else self._idle.with_strength(idle)
            ),
            readout=self._readout,
            two_qubit=(
                self._two_qubit
                if two_qubit is None or self._two_qubit is None
                else self._two_qubit.with_strength(two_qubit)
            ),
        )

    # --- dunder --------------------------------------------------------------------------------
    def _key(self) -> tuple[Any, ...]:
        return (
            self._channel,
            self._placement,
            tuple(self._overrides.items()),
            self._idle,
            self._readout,
            self._two_qubit,
        )

    def __eq__(self, other: object) -> bool:
        return self._key() == other._key() if isinstance(other, NoiseModel) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError(f"NoiseModel is immutable; cannot set {key!r}. Build a new one.")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, self._key())

    def __repr__(self) -> str:
        parts = []
        if self._channel is not None or self._overrides:
            what = [] if self._channel is None else [repr(self._channel)]
            if self._overrides:
                over = ", ".join(
                    f"qubit {q}: {'noiseless' if ch is None else repr(ch)}"
                    for q, ch in self._overrides.items()
                )
                what.append(f"({over})" if self._channel is not None else over)
            parts.append(" ".join(what) + " " + _WHERE[self._placement])
        if self._two_qubit is not None:
            parts.append(f"two-qubit gates: {self._two_qubit!r}")
        if self._idle is not None:
            parts.append(f"idle: {self._idle!r}")
        if self._readout is not None:
            parts.append(f"readout: {self._readout!r}")
        return f"NoiseModel({'; '.join(parts) or 'noiseless'})"


def _restore(
    channel: Channel | None,
    placement: str,
    overrides: tuple[tuple[int, Channel | None], ...],
    idle: Channel | None,
    readout: ReadoutError | None,
    two_qubit: Channel | None,
) -> NoiseModel:
    return NoiseModel(
        channel,
        placement=placement,
        per_qubit=dict(overrides),
        idle=idle,
        readout=readout,
        two_qubit=two_qubit,
    )
