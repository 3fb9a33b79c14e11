# Copyright (c) mmssl_ext contributors. All rights reserved.
"""The prefix sums of the box passes as in-place row additions (the CPU schedule of :mod:`.blur_axis`)."""

from typing import List

import torch

__all__: List[str] = []


def _scan_steps(rows: torch.Tensor, carry: bool) -> list:
    """In-place ops ``(dst, src)`` (``dst.add_(src)`` in order) that turn ``rows[1:]`` into its prefix sums along dim 0.

    With ``carry``, ``rows[0]`` is added to all of them. A two-level scheme (prefix sums within groups of about
    ``sqrt(len)`` rows, then of the group totals, then the carries into the groups) needs about ``2 sqrt(len)``
    ops instead of ``len``.
    """
    body = rows[1:]
    length = body.shape[0]
    steps = [(body[0], rows[0])] if carry else []
    size = max(1, round(length**0.5))
    groups = length // size
    if groups < 2 or size < 2:
        steps += [(body[k], body[k - 1]) for k in range(1, length)]
        return steps
    grid = body[: groups * size].view(groups, size, *body.shape[1:])
    steps += [(grid[:, k], grid[:, k - 1]) for k in range(1, size)]
    steps += [(grid[g, -1], grid[g - 1, -1]) for g in range(1, groups)]
    steps.append((grid[1:, :-1], grid[:-1, -1:]))
    steps += [(body[k], body[k - 1]) for k in range(groups * size, length)]
    return steps
