"""Tic-tac-toe end positions: counts, legality, D4 closure and label invariance."""

import numpy as np

from equiqnn.data import DRAW, O_WINS, TICTACTOE_LABELS, X_WINS, tictactoe_dataset
from equiqnn.groups import grid_d4

LINES = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]


def _has_line(board, player):
    flat = board.reshape(9)
    return any(all(flat[i] == player for i in line) for line in LINES)


def test_known_counts():
    boards, labels = tictactoe_dataset()
    assert boards.shape == (958, 3, 3) and boards.dtype == np.float64 and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [626, 316, 16]
    assert TICTACTOE_LABELS[X_WINS] == "x_wins" and (X_WINS, O_WINS, DRAW) == (0, 1, 2)
    assert len({b.tobytes() for b in boards}) == 958


def test_boards_are_legal_end_positions_with_the_right_winner():
    boards, labels = tictactoe_dataset()
    for board, label in zip(boards, labels, strict=True):
        n_x, n_o = int((board == 1).sum()), int((board == -1).sum())
        x_line, o_line = _has_line(board, 1), _has_line(board, -1)
        assert not (x_line and o_line)
        if label == X_WINS:
            assert x_line and n_x == n_o + 1
        elif label == O_WINS:
            assert o_line and n_x == n_o
        else:
            assert n_x == 5 and n_o == 4 and not x_line and not o_line


def test_set_is_closed_under_d4_and_labels_are_invariant():
    boards, labels = tictactoe_dataset()
    lookup = {b.tobytes(): int(lab) for b, lab in zip(boards, labels, strict=True)}
    copies = grid_d4(3).act_all(boards)  # (8, 958, 3, 3)
    for copy in copies:
        for board, label in zip(copy, labels, strict=True):
            assert lookup[board.tobytes()] == label


def test_without_draws_and_fresh_copies():
    boards, labels = tictactoe_dataset(include_draws=False)
    assert boards.shape == (942, 3, 3) and DRAW not in labels
    boards[:] = 0  # mutating a result does not change the next one
    again, _ = tictactoe_dataset(include_draws=False)
    assert np.abs(again).sum() > 0
