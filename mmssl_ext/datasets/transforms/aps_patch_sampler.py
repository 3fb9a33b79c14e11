# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Asymmetric patch sampling (APS): sparse token sets for view 1, low-overlap token sets for view 2."""

from typing import Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmssl_ext.registry import TRANSFORMS

__all__ = ['APSPatchSampler', 'view2_probabilities']

Box = Sequence[float]


def _cell_boxes(rows: np.ndarray, cols: np.ndarray, box: Box, grid: int, origin: Tuple[float, float]) -> np.ndarray:
    """``[k, 4]`` (x0, y0, x1, y1) of grid cells of a crop ``box = (i, j, h, w)``, in a frame at ``origin``."""
    top, left, height, width = (float(v) for v in box)
    cell_w, cell_h = width / grid, height / grid
    x0 = cols * cell_w + left - origin[0]
    y0 = rows * cell_h + top - origin[1]
    return np.stack([x0, y0, x0 + cell_w, y0 + cell_h], axis=1)


def view2_probabilities(
    box1: Box,
    box2: Box,
    ids1: Union[Sequence[int], np.ndarray],
    grid: int,
    power: float = 3.0,
    eps: float = 1e-6,
    flip1: bool = False,
    flip2: bool = False,
    flip_aware: bool = False,
) -> np.ndarray:
    """Sampling probabilities of view 2's tokens given view 1's selected tokens (APS selective sampling).

    View 1's selected cells are placed in view 2's frame through the two crop boxes; each of view 2's
    ``grid x grid`` cells gets its uncovered fraction ``u = 1 - sum(area(cell n box) / area(cell))`` (clipped at 0,
    values below ``eps`` set to 0), weight ``u ** power``, normalised. With ``flip_aware`` a horizontally flipped
    view's token column ``c`` is taken to show the crop's column ``grid - 1 - c``; the official code ignores
    flips (``flip_aware=False``).

    Args:
        box1 (Sequence[float]): View 1's crop ``(i, j, h, w)`` (top, left, height, width) in source pixels.
        box2 (Sequence[float]): View 2's crop, same convention.
        ids1 (Sequence[int] | np.ndarray): View 1's selected token ids (row-major over the grid).
        grid (int): Tokens per side.
        power (float): Exponent of the uncovered fraction. Defaults to 3.0.
        eps (float): Uncovered fractions below this are 0. Defaults to 1e-6.
        flip1 (bool): View 1 was flipped horizontally. Defaults to False.
        flip2 (bool): View 2 was flipped horizontally. Defaults to False.
        flip_aware (bool): Account for the flips. Defaults to False.

    Returns:
        np.ndarray: ``[grid * grid]`` float64 probabilities of view 2's token ids (all 0 when every cell is covered).
    """
    ids = np.asarray(ids1, dtype=np.int64).reshape(-1)
    if ids.size and (ids.min() < 0 or ids.max() >= grid * grid):
        raise ValueError(f'`ids1` must be token ids in [0, {grid * grid}), got {ids.min()}..{ids.max()}.')
    rows1, cols1 = ids // grid, ids % grid
    if flip_aware and flip1:
        cols1 = grid - 1 - cols1
    origin = (float(box2[1]), float(box2[0]))
    selected = _cell_boxes(rows1, cols1, box1, grid, origin)
    rows2, cols2 = np.divmod(np.arange(grid * grid), grid)
    cells = _cell_boxes(rows2, cols2, box2, grid, origin)
    overlap_w = np.minimum(selected[:, None, 2], cells[None, :, 2]) - np.maximum(
        selected[:, None, 0], cells[None, :, 0]
    )
    overlap_h = np.minimum(selected[:, None, 3], cells[None, :, 3]) - np.maximum(
        selected[:, None, 1], cells[None, :, 1]
    )
    covered = (np.clip(overlap_w, 0, None) * np.clip(overlap_h, 0, None)).sum(0)
    cell_area = (float(box2[2]) / grid) * (float(box2[3]) / grid)
    uncovered = np.clip(1.0 - covered / cell_area, 0.0, None)
    uncovered[uncovered < eps] = 0.0
    weight = uncovered**power
    if flip_aware and flip2:  # content column c is token column grid - 1 - c
        weight = weight.reshape(grid, grid)[:, ::-1].reshape(-1)
    total = weight.sum()
    return weight / total if total > 0 else weight


@TRANSFORMS.register_module()
class APSPatchSampler(BaseTransform):
    """Token sets of Asymmetric Patch Sampling, Shen et al., arXiv:2306.02854 (official ``asym_patch_sampling.py``).

    Runs after :class:`MultiViewWithKeys` (two views with ``crop_bbox`` and ``flip``). View 1 (sparse
    sampling): a random permutation of the ``grid^2`` token ids split into ``nsampling`` disjoint chunks of
    ``n = int(grid^2 * ratio)``. View 2 (selective sampling), per chunk: ``n`` ids drawn without replacement
    with probability :func:`view2_probabilities`; when fewer than ``n`` cells have a non-zero weight, the
    remaining ids are drawn uniformly among the others (the official ``numpy.choice`` raises there).
    Draws come from ``numpy.random``. Outputs ``idx_view1`` and ``idx_view2``, int64 ``[nsampling, n]``
    (pack them with ``PackInputs(algorithm_keys=['idx_view1', 'idx_view2'])``).

    Args:
        img_size (int): Side of the (square) views. Defaults to 32.
        patch_size (int): ViT patch size; ``grid = img_size // patch_size``. Defaults to 2.
        ratio (float): Share of tokens per view and step. Defaults to 0.25.
        nsampling (int): Chunks (optimiser steps) per loaded batch; ``ratio * nsampling <= 1``. Defaults to 4.
        power (float): Exponent of the uncovered fraction. Defaults to 3.0.
        flip_aware (bool): Mirror the columns of flipped views (the official code ignores flips). Defaults to False.
        eps (float): Uncovered fractions below this count as covered. Defaults to 1e-6.
    """

    def __init__(
        self,
        img_size: int = 32,
        patch_size: int = 2,
        ratio: float = 0.25,
        nsampling: int = 4,
        power: float = 3.0,
        flip_aware: bool = False,
        eps: float = 1e-6,
    ) -> None:
        if img_size % patch_size != 0:
            raise ValueError(f'`img_size` ({img_size}) must be a multiple of `patch_size` ({patch_size}).')
        self.grid = img_size // patch_size
        self.num_tokens = int(self.grid * self.grid * ratio)
        if not 0 < ratio <= 1 or self.num_tokens < 1:
            raise ValueError(
                f'`ratio` must be in (0, 1] and keep at least one of {self.grid ** 2} tokens, got {ratio}.'
            )
        if nsampling < 1 or ratio * nsampling > 1 + 1e-9:
            raise ValueError(
                f'`nsampling` ({nsampling}) disjoint chunks of `ratio` ({ratio}) must fit in the grid: '
                'ratio * nsampling <= 1.'
            )
        self.img_size, self.patch_size, self.ratio, self.nsampling = img_size, patch_size, ratio, nsampling
        self.power, self.flip_aware, self.eps = power, flip_aware, eps

    def sample_view2(self, probs: np.ndarray) -> np.ndarray:
        """``n`` ids without replacement by ``probs``; uniform top-up when too few have non-zero weight."""
        n = self.num_tokens
        positive = np.flatnonzero(probs > 0)
        if positive.size >= n:
            return np.random.choice(probs.size, n, replace=False, p=probs)
        rest = np.setdiff1d(np.arange(probs.size), positive)
        extra = np.random.choice(rest, n - positive.size, replace=False)
        return np.concatenate([np.random.permutation(positive), extra])

    def transform(self, results: dict) -> dict:
        """Draw the token ids of both views for every chunk.

        Args:
            results (dict): Needs ``crop_bbox`` and ``img`` as 2-element lists (``MultiViewWithKeys``); ``flip``
                is read when present.

        Returns:
            dict: ``idx_view1`` and ``idx_view2`` added.
        """
        boxes = results.get('crop_bbox')
        if not isinstance(boxes, (list, tuple)) or len(boxes) != 2 or any(b is None for b in boxes):
            raise ValueError(
                'APSPatchSampler needs the crop boxes of 2 views in `crop_bbox`: use RandomResizedCropWithBox inside '
                f"MultiViewWithKeys(keys=('crop_bbox', 'flip')), got {boxes!r}."
            )
        flips = results.get('flip') or [False, False]
        flips = [bool(f) for f in flips]
        n, grid = self.num_tokens, self.grid
        chunks = np.random.permutation(grid * grid)[: self.nsampling * n].reshape(self.nsampling, n)
        view2 = np.empty_like(chunks)
        for k, ids in enumerate(chunks):
            probs = view2_probabilities(
                boxes[0], boxes[1], ids, grid, self.power, self.eps, flips[0], flips[1], self.flip_aware
            )
            view2[k] = self.sample_view2(probs)
        results['idx_view1'] = chunks.astype(np.int64)
        results['idx_view2'] = view2.astype(np.int64)
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(img_size={self.img_size}, patch_size={self.patch_size}, ratio={self.ratio}, '
            f'nsampling={self.nsampling}, power={self.power}, flip_aware={self.flip_aware}, eps={self.eps})'
        )
