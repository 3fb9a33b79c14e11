# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Frechet distance between two feature batches (Gaussian fits), e.g. for gating SimCLR batches by view shift."""

import torch

__all__ = ['frechet_distance']


def _covariance(x: torch.Tensor) -> torch.Tensor:
    """Unbiased ``[D, D]`` covariance of the rows of ``x`` (``numpy.cov(x, rowvar=False)``)."""
    centred = x - x.mean(dim=0, keepdim=True)
    return centred.T @ centred / (x.shape[0] - 1)


def _psd_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    """Square root of a symmetric positive semi-definite matrix (round-off negative eigenvalues set to 0)."""
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp_min(0).sqrt()) @ vectors.T


@torch.no_grad()
def frechet_distance(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``|mu_x - mu_y|^2 + Tr(S_x + S_y - 2 (S_x S_y)^(1/2))`` of Gaussians fitted to two ``[N, D]`` batches.

    The Frechet (2-Wasserstein) distance of FID, computed in float64 without gradient. The trace of
    ``(S_x S_y)^(1/2)`` is taken as ``Tr((S_x^(1/2) S_y S_x^(1/2))^(1/2))``, a symmetric PSD square root, so it
    needs no complex arithmetic: identical batches give 0 up to round-off, and batches that differ by a
    constant shift ``d`` give ``|d|^2``. Gating batches by this distance between the two views' features comes
    from Goksu & Pugeault, "The Bad Batches: Enhancing Self-Supervised Learning in Image Classification Through
    Representative Batch Curation" (IJCNN 2024, arXiv:2403.19579), not from Welle et al. (arXiv:2108.08643), whose
    batch-curation abstract :class:`BatchCurator` otherwise follows; ``BatchCurator``'s batch gate uses it.

    Args:
        x (torch.Tensor): ``[N, D]`` features, ``N >= 2``.
        y (torch.Tensor): ``[M, D]`` features, ``M >= 2``.

    Returns:
        torch.Tensor: Scalar float64 distance (>= 0 up to round-off).
    """
    for name, value in (('x', x), ('y', y)):
        if not isinstance(value, torch.Tensor) or value.dim() != 2 or value.shape[0] < 2:
            shape = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            raise ValueError(f'`{name}` must be an [N, D] tensor with N >= 2 rows, got {shape}.')
    if x.shape[1] != y.shape[1]:
        raise ValueError(f'`x` and `y` must share the feature dimension, got {x.shape[1]} and {y.shape[1]}.')
    x, y = x.double(), y.double()
    cov_x, cov_y = _covariance(x), _covariance(y)
    root_x = _psd_sqrt(cov_x)
    cross = _psd_sqrt(root_x @ cov_y @ root_x)
    mean_term = (x.mean(0) - y.mean(0)).square().sum()
    return mean_term + torch.trace(cov_x) + torch.trace(cov_y) - 2 * torch.trace(cross)
