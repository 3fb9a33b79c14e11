# Copyright (c) mmssl_ext contributors. All rights reserved.
"""The op table of CLSA's RandAugment: op names, parameter ranges, signed ops and argument checks.

One neutral module shared by the per-image transform (:class:`~mmssl_ext.datasets.transforms.CLSARandAugment`,
PIL ops) and the batched one (:class:`~mmssl_ext.models.batch_augments.BatchCLSARandAugment`, tensor ops), so that
both draw from the same pool with the same parameters. Values follow ``fixmatch_augment_pool`` of the official
CLSA code (Wang & Qi, arXiv:2104.07713).
"""

from collections.abc import Sequence
from typing import Optional, Tuple, Union

__all__ = ['OP_NAMES', 'SIGNED_OPS', 'op_parameter', 'check_randaugment_args']

#: The 14 ops, in the official ``fixmatch_augment_pool`` order.
OP_NAMES: Tuple[str, ...] = (
    'AutoContrast',
    'Brightness',
    'Color',
    'Contrast',
    'Equalize',
    'Identity',
    'Posterize',
    'Rotate',
    'Sharpness',
    'ShearX',
    'ShearY',
    'Solarize',
    'TranslateX',
    'TranslateY',
)

#: Ops whose parameter flips its sign with probability 0.5 when applied.
SIGNED_OPS = frozenset({'Rotate', 'ShearX', 'ShearY', 'TranslateX', 'TranslateY'})

# The official code scales the magnitude by this constant whatever ``m`` is.
_PARAMETER_MAX = 10

# name -> (max_v, bias, is_int) of ``fixmatch_augment_pool``; absent for parameter-free ops.
_RANGES = {
    'Brightness': (0.9, 0.05, False),
    'Color': (0.9, 0.05, False),
    'Contrast': (0.9, 0.05, False),
    'Sharpness': (0.9, 0.05, False),
    'Posterize': (4, 4, True),
    'Rotate': (30, 0, True),
    'ShearX': (0.3, 0, False),
    'ShearY': (0.3, 0, False),
    'Solarize': (256, 0, True),
    'TranslateX': (0.3, 0, False),
    'TranslateY': (0.3, 0, False),
}


def op_parameter(name: str, v: int) -> Union[int, float, None]:
    """The unsigned parameter that op ``name`` gets for the integer magnitude ``v``.

    Float ops use ``float(v) * max_v / 10 + bias``, int ops ``int(v * max_v / 10) + bias``, in the official
    order of operations; Solarize returns the threshold ``256 - int(25.6 v)``.

    Args:
        name (str): One of :data:`OP_NAMES`.
        v (int): The magnitude, 1..9 in CLSA.

    Returns:
        int | float | None: The parameter, or None for AutoContrast, Equalize and Identity.
    """
    if name not in OP_NAMES:
        raise ValueError(f'op_parameter: unknown op {name!r}; valid names: {list(OP_NAMES)}')
    if name not in _RANGES:
        return None
    max_v, bias, is_int = _RANGES[name]
    value = int(v * max_v / _PARAMETER_MAX) + bias if is_int else float(v) * max_v / _PARAMETER_MAX + bias
    return 256 - value if name == 'Solarize' else value


def check_randaugment_args(
    num_ops: int, magnitude_max: int, prob: float, ops: Optional[Sequence], owner: str = 'CLSARandAugment'
) -> Tuple[int, int, float, Tuple[str, ...]]:
    """Validate the arguments of a CLSA RandAugment, raising a ``ValueError`` that names ``owner`` and the field.

    Args:
        num_ops (int): Ops drawn per image, >= 0.
        magnitude_max (int): Exclusive upper bound of the magnitude draw, 2..10.
        prob (float): Probability of applying each drawn op, in [0, 1].
        ops (Sequence[str], optional): The pool, a non-empty subset of :data:`OP_NAMES`; None for all 14.
        owner (str): Class name for the messages. Defaults to 'CLSARandAugment'.

    Returns:
        tuple: ``(num_ops, magnitude_max, float(prob), ops as a tuple)``.
    """
    if isinstance(num_ops, bool) or not isinstance(num_ops, int) or num_ops < 0:
        raise ValueError(f'{owner}: num_ops must be an int >= 0, got {num_ops!r}')
    if isinstance(magnitude_max, bool) or not isinstance(magnitude_max, int) or not 2 <= magnitude_max <= 10:
        raise ValueError(f'{owner}: magnitude_max must be an int in [2, 10], got {magnitude_max!r}')
    if isinstance(prob, bool) or not isinstance(prob, (int, float)) or not 0.0 <= prob <= 1.0:
        raise ValueError(f'{owner}: prob must be a number in [0, 1], got {prob!r}')
    if ops is None:
        ops = OP_NAMES
    if isinstance(ops, str) or not isinstance(ops, Sequence) or len(ops) == 0:
        raise ValueError(f'{owner}: ops must be None or a non-empty sequence of op names, got {ops!r}')
    unknown = [name for name in ops if name not in OP_NAMES]
    if unknown:
        raise ValueError(f'{owner}: unknown ops {unknown}; valid names: {list(OP_NAMES)}')
    return num_ops, magnitude_max, float(prob), tuple(ops)
