"""Tic-tac-toe end positions, enumerated by playing every legal game (X moves first).

A position is terminal when a player has three in a row (the game stops there) or the board is
full. There are 958 distinct terminal boards: 626 won by X, 316 won by O and 16 draws. D4 acts on
the 3×3 board (``equiqnn.groups.grid_d4(3)``); the set of terminal boards is closed under it and
the winner is invariant.

Encoding: boards ``(3, 3)`` with X = +1, O = -1, empty = 0, row 0 at the top. Labels:
``0`` X wins, ``1`` O wins, ``2`` draw (names in ``TICTACTOE_LABELS``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["TICTACTOE_LABELS", "X_WINS", "O_WINS", "DRAW", "tictactoe_dataset"]

X_WINS, O_WINS, DRAW = 0, 1, 2
TICTACTOE_LABELS: tuple[str, ...] = ("x_wins", "o_wins", "draw")

_LINES = (
    (0, 1, 2),
    (3, 4, 5),
    (6, 7, 8),  # rows
    (0, 3, 6),
    (1, 4, 7),
    (2, 5, 8),  # columns
    (0, 4, 8),
    (2, 4, 6),  # diagonals
)


def _winner(board: tuple[int, ...]) -> int:
    """+1 if X has a line, -1 if O has, 0 otherwise (at most one can, in reachable play)."""
    for a, b, c in _LINES:
        if board[a] != 0 and board[a] == board[b] == board[c]:
            return board[a]
    return 0


@lru_cache(maxsize=1)
def _terminal_boards() -> tuple[tuple[tuple[int, ...], int], ...]:
    """All terminal boards with their label, sorted by board (depth-first over positions)."""
    seen: set[tuple[int, ...]] = set()
    terminal: dict[tuple[int, ...], int] = {}
    stack: list[tuple[tuple[int, ...], int]] = [((0,) * 9, 1)]
    while stack:
        board, player = stack.pop()
        if board in seen:
            continue
        seen.add(board)
        win = _winner(board)
        if win or 0 not in board:
            terminal[board] = X_WINS if win == 1 else O_WINS if win == -1 else DRAW
            continue
        for cell in range(9):
            if board[cell] == 0:
                nxt = board[:cell] + (player,) + board[cell + 1 :]
                stack.append((nxt, -player))
    return tuple(sorted(terminal.items()))


def tictactoe_dataset(*, include_draws: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """All terminal tic-tac-toe boards with the game's result.

    Args:
        include_draws: keep the 16 drawn boards (label 2); ``False`` gives a binary task.
    Returns:
        ``(boards, labels)``: ``boards`` float64 ``(N, 3, 3)`` with X = +1, O = -1, empty = 0;
        ``labels`` int64 ``(N,)``: 0 X wins, 1 O wins, 2 draw. ``N = 958`` (942 without draws),
        in a fixed order.

    >>> boards, labels = tictactoe_dataset()
    >>> boards.shape, np.bincount(labels).tolist()
    ((958, 3, 3), [626, 316, 16])
    """
    items = _terminal_boards()
    boards = np.array([b for b, _ in items], dtype=np.float64).reshape(-1, 3, 3)
    labels = np.array([lab for _, lab in items], dtype=np.int64)
    if not include_draws:
        keep = labels != DRAW
        boards, labels = boards[keep], labels[keep]
    return boards, labels
