"""Fast S_n encoding: sector blocks of a product state restricted to their top-left corners.

In a frame aligned with the data's mean Bloch vector every qubit is ``R_Y(a_i − α)|0⟩`` with small
``a_i − α``, and each block ``ρ_j`` lives in its top-left corner (``m`` near ``j``). This module runs
the Clebsch–Gordan recursion of ``sn_encode`` on all sectors at once (one padded tensor
``(B, S, W, W)``), keeping after every added qubit

- only a contiguous window of sectors (the *sector cut*: end sectors are dropped while every sample's
  dropped weight stays within its budget), and
- in each sector only its top-left ``w_s × w_s`` corner (the *corner cut*: ``w_s`` is the smallest
  width whose diagonal tail, largest over the batch, fits the step's budget).

Both cuts are projections of the (pure) product state on subspaces ``P ⊗ 1`` of
``⊕_j V_j ⊗ M_j``, which gives a rigorous error bound (see ``SN_SECTOR.md``): with ``δ`` the dropped
sector weight, ``σ = Σ_s √δ_s``, ``N`` the number of dropped sectors and ``E = Σ_k √t_k`` (``t_k``
the corner tail removed at step ``k``), every normalized observable satisfies

    |⟨O⟩_exact − ⟨O⟩| ≤ ‖O‖ · (δ + 2Eσ + N E² + 2E + E²).
"""

from __future__ import annotations

import math

import torch

__all__ = ["encode_corner_sectors"]


def encode_corner_sectors(
    angles: torch.Tensor, *, tolerance: float
) -> tuple[tuple[int, ...], list[torch.Tensor], torch.Tensor, torch.Tensor]:
    """Top-left corners of the sector blocks of ``⊗_i R_Y(a_i)|0⟩``, truncated within ``tolerance``.

    Args:
        angles: ``(B, n)`` real angles in the frame where the blocks are wanted (for the aligned
            frame: ``a_i − α``); float32 or float64 (the blocks take this dtype).
        tolerance: target of the error bound per unit observable norm, ``> 0``: half of it goes to
            the sector cut, a fifth to ``E`` (so ``2E + E² ≤ 0.4·tolerance``).

    Returns:
        ``(two_j, blocks, dropped, bound)``: ``2j`` descending (contiguous, step 2), real symmetric
        blocks ``(B, w_s, w_s)`` with ``w_s ≤ 2j+1``, the total weight removed ``(B,)`` (sector and
        corner cuts, so block traces + dropped = 1) and the error bound coefficient ``(B,)``.
    """
    if not tolerance > 0:
        raise ValueError(f"tolerance must be > 0 for the corner encoding; got {tolerance!r}.")
    batch, n = angles.shape
    dtype, device = angles.dtype, angles.device
    c_all, s_all = torch.cos(angles / 2), torch.sin(angles / 2)
    sec_budget = tolerance / 2
    step_tail = (tolerance / 5 / n) ** 2  # corner tail per step, so that E ≤ tolerance / 5
    c0, s0 = c_all[:, 0], s_all[:, 0]
    rho = torch.stack(
        [torch.stack([c0 * c0, c0 * s0], -1), torch.stack([c0 * s0, s0 * s0], -1)], -2
    )
    rho = rho[:, None]  # (B, S=1, 2, 2)
    top = 1  # 2j of sector 0
    widths = [2]
    zeros = torch.zeros(batch, dtype=dtype, device=device)
    dropped, sig, err_e = zeros.clone(), zeros.clone(), zeros.clone()
    n_dropped = 0
    for k in range(1, n):
        ck, sk = c_all[:, k, None, None], s_all[:, k, None, None]  # (B, 1, 1)
        n_sec, width = rho.shape[1], rho.shape[2]
        d = torch.tensor([top + 1 - 2 * i for i in range(n_sec)], dtype=dtype, device=device)
        d = d[:, None]  # (S, 1): dimensions 2j+1 of the parents
        p = torch.arange(width + 1, dtype=dtype, device=device)[None, :]
        # j + ½ child of sector i → new sector i, rows p' = 0 … W: a_p' ρ[p'] + b_p' ρ[p'−1]
        a = torch.sqrt((d - p).clamp_min(0) / d) * ck  # (B, S, W+1)
        b = torch.sqrt(p / d) * sk
        new = rho.new_zeros(batch, n_sec + 1, width + 1, width + 1)
        y = rho.new_empty(batch, n_sec, width + 1, width)
        torch.mul(a[..., :width, None], rho, out=y[:, :, :width])
        y[:, :, width] = 0
        y[:, :, 1:].addcmul_(b[..., 1:, None], rho)
        up = new[:, :n_sec]
        up[..., :width].addcmul_(a[:, :, None, :width], y)
        up[..., 1:].addcmul_(b[:, :, None, 1:], y)
        # j − ½ child of sector i → new sector i+1, rows p' = 0 … W−1: u_p' ρ[p'+1] + v_p' ρ[p']
        q = p[:, :width]
        u = -torch.sqrt((q + 1) / d) * ck  # (B, S, W)
        v = torch.sqrt((d - 1 - q).clamp_min(0) / d) * sk
        y2 = v[..., None] * rho
        y2[:, :, :-1].addcmul_(u[..., :-1, None], rho[:, :, 1:])
        down = new[:, 1:, :width, :width]
        down.addcmul_(v[:, :, None, :], y2)
        down[..., :-1].addcmul_(u[:, :, None, :-1], y2[..., 1:])
        top += 1
        new_widths = [min(widths[0] + 1, top + 1)]
        for i in range(1, n_sec + 1):
            w_up = widths[i] + 1 if i < n_sec else 0
            new_widths.append(min(max(w_up, widths[i - 1]), top + 1 - 2 * i))
        if top + 1 - 2 * n_sec <= 0:  # the last parent had j = 0: it has no j − ½ child
            new, new_widths = new[:, :-1], new_widths[:-1]
        # sector cut: drop end sectors while every sample stays within its budget
        weights = new.diagonal(dim1=-2, dim2=-1).sum(-1)  # (B, S')
        budget = sec_budget * (k + 1) / n
        lo, hi = 0, weights.shape[1]
        while hi - lo > 1:
            wl, wh = weights[:, lo], weights[:, hi - 1]
            cand, idx = (wl, lo) if float(wl.max()) <= float(wh.max()) else (wh, hi - 1)
            if not bool((dropped + cand <= budget).all()):
                break
            dropped, sig, n_dropped = dropped + cand, sig + cand.clamp_min(0).sqrt(), n_dropped + 1
            if idx == lo:
                lo += 1
            else:
                hi -= 1
        top -= 2 * lo
        new, new_widths = new[:, lo:hi], new_widths[lo:hi]
        # corner cut: the smallest width per sector whose diagonal tail fits the step's budget
        diag = new.diagonal(dim1=-2, dim2=-1).clamp_min(0)  # (B, S, W+1)
        tail = diag.flip(-1).cumsum(-1).flip(-1)  # tail[..., w] = Σ_{p ≥ w} ρ[p, p]
        tail = torch.cat([tail, torch.zeros_like(tail[..., :1])], -1)
        worst = tail.max(0).values  # (S, W+2)
        per_sector = step_tail / len(new_widths)
        fits = (worst <= per_sector).to(torch.int64)
        fits[:, -1] = 1
        first_fit = torch.argmax(fits, -1).tolist()  # smallest w with a fitting tail
        widths = [max(1, min(w, f)) for w, f in zip(new_widths, first_fit, strict=True)]
        idx_w = torch.tensor(widths, device=device)
        cut = tail.gather(-1, idx_w[None, :, None].expand(batch, -1, 1))[..., 0]  # (B, S)
        t_k = cut.sum(-1)
        dropped = dropped + t_k
        err_e = err_e + t_k.sqrt()
        wmax = max(widths)
        keep = torch.arange(wmax, device=device)[None, :] < idx_w[:, None]  # (S, wmax)
        rho = new[:, :, :wmax, :wmax].contiguous()
        rho.mul_((keep[:, :, None] & keep[:, None, :]).to(dtype))
    blocks = [rho[:, i, :w, :w].contiguous() for i, w in enumerate(widths)]
    two_j = tuple(top - 2 * i for i in range(len(widths)))
    return two_j, blocks, dropped, error_bound(dropped, sig, n_dropped, err_e)


def error_bound(
    dropped: torch.Tensor, sig: torch.Tensor, n_dropped: int, e: torch.Tensor
) -> torch.Tensor:
    """``δ + 2Eσ + N E² + 2E + E²`` (with ``δ`` the total removed weight, which also counts the corner
    tails: a slight over-estimate that keeps the bound rigorous)."""
    return dropped + 2 * e * sig + n_dropped * e**2 + 2 * e + e**2


def aligned_frame(angles: torch.Tensor) -> float:
    """``α``: the direction of the data's mean Bloch vector ``(⟨sin a⟩, 0, ⟨cos a⟩)`` in the x–z
    plane (0 when the mean vanishes); ``R_Y(a)|0⟩ = R_Y(α) R_Y(a − α)|0⟩``."""
    sx, sz = float(torch.sin(angles).sum()), float(torch.cos(angles).sum())
    if math.hypot(sx, sz) <= 1e-12 * angles.numel():
        return 0.0
    return math.atan2(sx, sz)
