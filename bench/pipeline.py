# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Views/s per dataloader worker: our per-image multi-view pipelines against the same views from stock transforms.

One dataloader worker is one process with one core running the view pipeline on a stream of images, so the bench
runs single-threaded (``torch.set_num_threads(1)``, ``cv2.setNumThreads(1)``, restored afterwards) and counts the
output views per second. Decoding is excluded: the images are decoded uint8 BGR arrays held in memory (synthetic
smooth images from ``--seed``, 32x32 at CIFAR size and 375x500 at ImageNet size, or the JPEGs of ``--image-dir``
decoded once up front with ``mmcv.imread``). ``PackInputs`` is kept since it is part of a worker's work.

Cases, each at CIFAR and ImageNet size (our configs under ``configs/_base_/datasets``, ``LoadImageFromFile``
dropped):

* ``simclr``: the two-view SimCLR pipeline of ``cifar10_bs256_simclr.py`` / ``imagenet_bs32_simclr.py``. Our
  pipeline already is mmpretrain/mmcv stock transforms, so the two implementations should tie.
* ``clsa7``: CLSA's 7 views, taken from the config's ``clsa_multi_pipeline`` (``cifar10_bs256_clsa.py`` /
  ``imagenet_bs32_clsa.py``): the key and the first weak view (224 px, scale 0.2-1.0; CIFAR 32 px, 0.08-1.0)
  and the five strong views at 224/192/160/128/96 (CIFAR 32/28/24/20/16) with the config's ``_crops`` scale
  ranges, ``CLSARandAugment(5, 10, 0.5)`` last. The stock composition swaps ``CLSARandAugment`` for mmpretrain's
  ``RandAugment(num_policies=5, magnitude_level=10, magnitude_std='inf', total_level=10,
  hparams=dict(pad_val=0))``, i.e. 5 ops drawn with replacement, each applied with probability 0.5 with a
  magnitude uniform over its range, black fill. The policy list (:data:`STOCK_CLSA_POOL`) mirrors CLSA's 14-op
  FixMatch pool, whose parameters for the integer magnitude v = 1..9 are mapped onto mmpretrain's continuous
  ranges (endpoints v = 1 and v = 9):

  ==============  ======================================  ================================================
  CLSA op         CLSA parameter (v = 1..9)               mmpretrain policy
  ==============  ======================================  ================================================
  AutoContrast    -                                       ``AutoContrast``
  Brightness      factor 0.09 v + 0.05 (0.14..0.86)       ``Brightness``, range (-0.86, -0.14), no negation
  Color           factor 0.14..0.86                       ``ColorTransform``, range (-0.86, -0.14), no neg.
  Contrast        factor 0.14..0.86                       ``Contrast``, range (-0.86, -0.14), no negation
  Equalize        -                                       ``Equalize``
  Identity        -                                       ``Compose(transforms=[])`` (mmcv, a no-op)
  Posterize       bits int(0.4 v) + 4 (4..7)              ``Posterize``, range (3, 7) (ceil: 4..7)
  Rotate          +-int(3 v) degrees (3..27), nearest     ``Rotate``, range (3, 27), negation p 0.5, nearest
  Sharpness       factor 0.14..0.86                       ``Sharpness``, range (-0.86, -0.14), no negation
  ShearX / Y      +-0.03 v (0.03..0.27), nearest          ``Shear`` horizontal / vertical, range (0.03, 0.27),
                                                          negation p 0.5, nearest
  Solarize        threshold 256 - int(25.6 v) (231..26)   ``Solarize``, range (231, 26)
  TranslateX / Y  +-int(0.03 v x size) px (0.03..0.27)    ``Translate`` horizontal / vertical, range
                                                          (0.03, 0.27) of the size, negation p 0.5, nearest
  ==============  ======================================  ================================================

  mmpretrain applies factors as ``1 + magnitude``, hence the negative ranges. The ops differ in implementation
  (mmcv/cv2/numpy on the BGR array against PIL on an RGB copy), which is what the column measures.
* ``aps``: the two APS views of ``cifar10_bs512_aps.py`` (ImageNet size: ``imagenet_bs128_aps.py``),
  ``MultiViewWithKeys`` + ``APSPatchSampler``, against the same two views without the sampler from stock
  transforms (``MultiView``, ``RandomResizedCrop`` for ``RandomResizedCropWithBox``, plain ``PackInputs``), so
  the ratio shows the cost of recording the boxes and sampling the token ids.

* ``fast`` (SimCLR and CLSA): the same views with the batched ops of :mod:`mmssl_ext.models.batch_augments` in
  ``BatchAugDataPreprocessor`` (:func:`batched_ops` maps each per-image op to its batched counterpart). At CIFAR
  size the worker only packs the image and the crop is batched too; at ImageNet size (sources of any size) the
  worker crops each view (``RandomResizedCrop``) and the rest is batched. The preprocessor runs on the same single
  CPU thread, on batches of :data:`FAST_BATCH` images, so the figure is views/s per core, collation included.

Every implementation of a case is one entry of :data:`IMPLEMENTATIONS` (name -> factory of ``(case, size)``
returning a callable that processes a list of images and returns the number of views produced, or None where it
does not apply), so another one, e.g. a batched implementation running in the data preprocessor, is one more
entry. Runs alternate (A B, B A, ...) after a warm-up round; each figure is the median over ``--repeats`` runs of
``--images`` images.

Usage::

    python bench/pipeline.py                        # print the table (~2-3 min on 2 cores)
    python bench/pipeline.py --write                # and replace its block in docs/benchmarks.md
    python bench/pipeline.py --smoke                # 4 images, one repeat, no warm-up (what the test suite runs)
    python bench/pipeline.py --image-dir DIR        # real JPEGs of DIR instead of synthetic images
"""

import argparse
import copy
import functools
import os
import os.path as osp
import sys
import warnings
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from bench.common import ROOT, alternating_medians, machine_line, timed, write_block  # noqa: E402

__all__ = [
    'CASES',
    'CONFIGS',
    'FAST_BATCH',
    'IMPLEMENTATIONS',
    'SIZES',
    'STOCK',
    'STOCK_CLSA_POOL',
    'batched_ops',
    'build_pipeline',
    'load_images',
    'main',
    'measure',
    'ours_pipeline',
    'stock_pipeline',
    'stock_randaugment',
    'synthetic_images',
    'table',
]

MARKER = 'bench/pipeline.py'
CASES = ('simclr', 'clsa7', 'aps')
SIZES = {'cifar': (32, 32), 'imagenet': (375, 500)}
DEFAULT_IMAGES = {'cifar': 1024, 'imagenet': 64}
STOCK = 'stock'
_BASE = 'configs/_base_/datasets'
CONFIGS = {
    ('simclr', 'cifar'): f'{_BASE}/cifar10_bs256_simclr.py',
    ('simclr', 'imagenet'): f'{_BASE}/imagenet_bs32_simclr.py',
    ('clsa7', 'cifar'): f'{_BASE}/cifar10_bs256_clsa.py',
    ('clsa7', 'imagenet'): f'{_BASE}/imagenet_bs32_clsa.py',
    ('aps', 'cifar'): f'{_BASE}/cifar10_bs512_aps.py',
    ('aps', 'imagenet'): f'{_BASE}/imagenet_bs128_aps.py',
}
_FACTOR = (-0.86, -0.14)  # CLSA factors 0.14..0.86 as mmpretrain's ``1 + magnitude``
STOCK_CLSA_POOL: Tuple[dict, ...] = (
    dict(type='AutoContrast'),
    dict(type='Brightness', magnitude_range=_FACTOR, random_negative_prob=0.0),
    dict(type='ColorTransform', magnitude_range=_FACTOR, random_negative_prob=0.0),
    dict(type='Contrast', magnitude_range=_FACTOR, random_negative_prob=0.0),
    dict(type='Equalize'),
    dict(type='Compose', transforms=[]),
    dict(type='Posterize', magnitude_range=(3, 7)),
    dict(type='Rotate', magnitude_range=(3, 27), random_negative_prob=0.5, interpolation='nearest'),
    dict(type='Sharpness', magnitude_range=_FACTOR, random_negative_prob=0.0),
    dict(type='Shear', magnitude_range=(0.03, 0.27), direction='horizontal', interpolation='nearest'),
    dict(type='Shear', magnitude_range=(0.03, 0.27), direction='vertical', interpolation='nearest'),
    dict(type='Solarize', magnitude_range=(231, 26)),
    dict(type='Translate', magnitude_range=(0.03, 0.27), direction='horizontal', interpolation='nearest'),
    dict(type='Translate', magnitude_range=(0.03, 0.27), direction='vertical', interpolation='nearest'),
)
"""mmpretrain policies mirroring CLSA's pool, in the order of ``CLSARandAugment``'s ``OP_NAMES`` (the identity is
mmcv's empty ``Compose``); ``prob`` is added by :func:`stock_randaugment`."""

Impl = Callable[[Sequence[np.ndarray]], int]
ImplFactory = Callable[[str, str], Optional[Impl]]


def _check(case: str, size: str) -> None:
    if case not in CASES:
        raise ValueError(f'case must be one of {list(CASES)}, got {case!r}')
    if size not in SIZES:
        raise ValueError(f'size must be one of {list(SIZES)}, got {size!r}')


@functools.cache
def _config(case: str, size: str) -> dict:
    from mmengine.config import Config

    return Config.fromfile(osp.join(ROOT, CONFIGS[(case, size)])).to_dict()


def _clsa7(pipeline: List[dict]) -> List[dict]:
    """The key, first weak and five strong views of a ``clsa_multi_pipeline`` (1 + 5 + 5 groups)."""
    multi = [t for t in pipeline if t['type'] == 'MultiView']
    groups = multi[0]['transforms'] if len(multi) == 1 else []
    strong = [any(op['type'] == 'CLSARandAugment' for op in g) for g in groups]
    if strong != [False] * 6 + [True] * 5:
        raise ValueError(
            'clsa_multi_pipeline must hold one MultiView of 11 groups: key, 5 weak, 5 strong (CLSARandAugment), '
            f'got strong flags {strong}'
        )
    views = dict(type='MultiView', num_views=[1] * 7, transforms=groups[:2] + groups[6:])
    return [views if t['type'] == 'MultiView' else t for t in pipeline]


def ours_pipeline(case: str, size: str) -> List[dict]:
    """Our pipeline of a case, from the config, without ``LoadImageFromFile``.

    Args:
        case (str): One of :data:`CASES`.
        size (str): ``'cifar'`` or ``'imagenet'``.

    Returns:
        list[dict]: The transform configs (``mmssl_ext`` scope).
    """
    _check(case, size)
    cfg = _config(case, size)
    pipeline = cfg['clsa_multi_pipeline'] if case == 'clsa7' else cfg['train_pipeline']
    pipeline = [t for t in copy.deepcopy(pipeline) if t['type'] != 'LoadImageFromFile']
    return _clsa7(pipeline) if case == 'clsa7' else pipeline


def stock_randaugment(
    num_ops: int = 5, magnitude_max: int = 10, prob: float = 0.5, ops: Optional[Sequence[str]] = None
) -> dict:
    """The mmpretrain ``RandAugment`` mirroring ``CLSARandAugment(num_ops, magnitude_max, prob)``.

    Args:
        num_ops (int): Ops drawn per image. Defaults to 5.
        magnitude_max (int): CLSA's exclusive magnitude bound; only 10 (v = 1..9) is mapped. Defaults to 10.
        prob (float): Probability of applying each drawn op. Defaults to 0.5.
        ops (Sequence[str], optional): CLSA's op subset; only None (the full pool) is mapped. Defaults to None.

    Returns:
        dict: The ``RandAugment`` config (mmpretrain scope).
    """
    if magnitude_max != 10:
        raise ValueError(f'stock_randaugment: magnitude_max must be 10 (the mapped ranges), got {magnitude_max!r}')
    if ops is not None:
        raise ValueError(f'stock_randaugment: ops must be None (the full 14-op pool), got {ops!r}')
    policies = [dict(p) if p['type'] == 'Compose' else dict(p, prob=prob) for p in STOCK_CLSA_POOL]
    return dict(
        type='RandAugment',
        policies=policies,
        num_policies=num_ops,
        magnitude_level=10,
        magnitude_std='inf',
        total_level=10,
        hparams=dict(pad_val=0),
    )


def _to_stock(transform: dict) -> Optional[dict]:
    """The stock counterpart of one transform config (None: dropped)."""
    t = dict(transform)
    kind = t['type']
    if kind == 'APSPatchSampler':
        return None
    if kind == 'CLSARandAugment':
        return stock_randaugment(**{k: v for k, v in t.items() if k != 'type'})
    if kind == 'RandomResizedCropWithBox':
        t['type'] = 'RandomResizedCrop'
    elif kind == 'MultiViewWithKeys':
        t['type'] = 'MultiView'
        t.pop('keys', None)
    elif kind == 'PackInputs':
        t.pop('algorithm_keys', None)
    if 'transforms' in t:
        t['transforms'] = _to_stock_list(t['transforms'])
    return t


def _to_stock_list(items: list) -> list:
    out = []
    for item in items:
        new = _to_stock_list(item) if isinstance(item, (list, tuple)) else _to_stock(item)
        if new is not None:
            out.append(new)
    return out


def stock_pipeline(case: str, size: str) -> List[dict]:
    """The same views as :func:`ours_pipeline` from mmpretrain/mmcv stock transforms (see the module docstring).

    Args:
        case (str): One of :data:`CASES`.
        size (str): ``'cifar'`` or ``'imagenet'``.

    Returns:
        list[dict]: The transform configs (``mmpretrain`` scope).
    """
    return _to_stock_list(ours_pipeline(case, size))


def build_pipeline(transforms: List[dict], scope: str) -> Callable[[dict], dict]:
    """Compose the transforms built in a registry scope.

    Args:
        transforms (list[dict]): Transform configs.
        scope (str): ``'mmssl_ext'`` or ``'mmpretrain'`` (stock only: our types are unknown there).

    Returns:
        callable: The composed pipeline.
    """
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope

    if scope == 'mmssl_ext':
        from mmssl_ext.registry import TRANSFORMS
    elif scope == 'mmpretrain':
        from mmpretrain.registry import TRANSFORMS
    else:
        raise ValueError(f"scope must be 'mmssl_ext' or 'mmpretrain', got {scope!r}")
    with DefaultScope.overwrite_default_scope(scope):
        return Compose([TRANSFORMS.build(copy.deepcopy(t)) for t in transforms])


def _runner(pipeline: Callable[[dict], dict]) -> Impl:
    def run(images: Sequence[np.ndarray]) -> int:
        views = 0
        for img in images:
            shape = img.shape[:2]
            inputs = pipeline(dict(img=img, img_shape=shape, ori_shape=shape))['inputs']
            views += len(inputs) if isinstance(inputs, list) else 1
        return views

    return run


def _ours(case: str, size: str) -> Impl:
    return _runner(build_pipeline(ours_pipeline(case, size), 'mmssl_ext'))


def _stock(case: str, size: str) -> Impl:
    return _runner(build_pipeline(stock_pipeline(case, size), 'mmpretrain'))


_BATCHED = {
    'RandomApply': 'BatchColorJitter',
    'RandomGrayscale': 'BatchRandomGrayscale',
    'GaussianBlur': 'BatchGaussianBlur',
    'RandomFlip': 'BatchRandomFlip',
    'CLSARandAugment': 'BatchCLSARandAugment',
}
FAST_BATCH = {'cifar': 256, 'imagenet': 64}
"""Images per batch of the ``fast`` implementation."""


def batched_ops(view: List[dict], crop_in_batch: bool) -> Tuple[List[dict], List[dict]]:
    """Split a per-image view pipeline into (per-image part, batched op configs) with the same augmentation.

    The per-image part is the crop when the sources differ in size (``crop_in_batch=False``), else nothing;
    every other op becomes its ``BATCH_AUGMENTS`` counterpart with the same parameters.

    Args:
        view (list[dict]): One view's per-image transforms (``RandomResizedCrop`` first).
        crop_in_batch (bool): Crop in the batch (same-size sources) rather than per image.

    Returns:
        tuple: The per-image transforms and the batched op configs.
    """
    per_image, batched = [], []
    for t in view:
        kind = t['type']
        if kind == 'RandomResizedCrop':
            if crop_in_batch:
                batched.append(dict(type='BatchRandomResizedCrop', size=t['scale'], scale=t['crop_ratio_range']))
            else:
                per_image.append(t)
        elif kind == 'RandomApply':
            (jitter,) = t['transforms']
            keys = ('brightness', 'contrast', 'saturation', 'hue')
            batched.append(dict(type=_BATCHED[kind], prob=t['prob'], **{k: jitter[k] for k in keys}))
        elif kind == 'RandomGrayscale':
            batched.append(dict(type=_BATCHED[kind], prob=t['prob'], rgb_weights=tuple(t['channel_weights'])[::-1]))
        elif kind == 'GaussianBlur':
            batched.append(dict(type=_BATCHED[kind], sigma_range=t['magnitude_range'], prob=t['prob']))
        elif kind == 'RandomFlip':
            batched.append(dict(type=_BATCHED[kind], prob=t['prob']))
        elif kind == 'CLSARandAugment':
            batched.append(dict(type=_BATCHED[kind], **{k: v for k, v in t.items() if k != 'type'}))
        else:
            raise ValueError(f'batched_ops: no batched counterpart of {kind!r}')
    return per_image, batched


def _fast(case: str, size: str) -> Optional[Impl]:
    """Workers pack the image (CIFAR) or crop each view (ImageNet); BatchAugDataPreprocessor does the rest."""
    if case == 'aps':
        return None
    from mmengine.dataset import default_collate
    from mmengine.registry import DefaultScope

    from mmssl_ext.registry import MODELS

    multi = next(t for t in ours_pipeline(case, size) if t['type'] == 'MultiView')
    counts = multi['num_views'] if isinstance(multi['num_views'], list) else [multi['num_views']]
    crop_in_batch = size == 'cifar'
    split = [batched_ops(view, crop_in_batch) for view in multi['transforms']]
    if crop_in_batch:
        worker = [dict(type='PackInputs')]
    else:
        groups = [per_image for per_image, _ in split]
        worker = [dict(type='MultiView', num_views=counts, transforms=groups), dict(type='PackInputs')]
    pipeline = build_pipeline(worker, 'mmssl_ext')
    with DefaultScope.overwrite_default_scope('mmssl_ext'):
        pre = MODELS.build(
            dict(type='BatchAugDataPreprocessor', to_rgb=True, num_views=counts, view_augments=[b for _, b in split])
        )
    batch = FAST_BATCH[size]

    def run(images: Sequence[np.ndarray]) -> int:
        views = 0
        for start in range(0, len(images), batch):
            items = []
            for img in images[start : start + batch]:
                shape = img.shape[:2]
                items.append(pipeline(dict(img=img, img_shape=shape, ori_shape=shape)))
            views += len(pre(default_collate(items), True)['inputs']) * len(items)
        return views

    return run


IMPLEMENTATIONS: Dict[str, ImplFactory] = {'mmssl_ext': _ours, 'fast': _fast, STOCK: _stock}
"""Implementation name -> factory of ``(case, size)`` returning ``images -> number of views`` (None: n/a)."""


def synthetic_images(n: int, height: int, width: int, seed: int = 0) -> List[np.ndarray]:
    """Smooth uint8 BGR images: bicubic upsampling of a coarse random grid plus mild noise.

    Args:
        n (int): Number of images.
        height (int): Image height.
        width (int): Image width.
        seed (int): Seed of the generator. Defaults to 0.

    Returns:
        list[np.ndarray]: ``n`` arrays of shape ``(height, width, 3)``.
    """
    if n < 1 or height < 1 or width < 1:
        raise ValueError(f'n, height and width must be >= 1, got {n}, {height}, {width}')
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(n):
        coarse = rng.uniform(0, 255, (height // 16 + 2, width // 16 + 2, 3)).astype(np.float32)
        smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
        images.append(np.clip(smooth + rng.normal(0, 4, smooth.shape), 0, 255).astype(np.uint8))
    return images


def load_images(directory: str, n: int) -> List[np.ndarray]:
    """The first ``n`` images of a directory (sorted names, cycled when fewer), decoded once with ``mmcv.imread``.

    Args:
        directory (str): A directory of JPEG/PNG files.
        n (int): Number of images.

    Returns:
        list[np.ndarray]: ``n`` uint8 BGR arrays.
    """
    import mmcv

    names = sorted(f for f in os.listdir(directory) if f.lower().endswith(('.jpg', '.jpeg', '.png')))
    if not names:
        raise ValueError(f'image_dir must hold .jpg/.jpeg/.png files, got none in {directory!r}')
    decoded = [mmcv.imread(osp.join(directory, f)) for f in names[:n]]
    return [decoded[i % len(decoded)] for i in range(n)]


def measure(
    case: str, size: str, images: Sequence[np.ndarray], repeats: int, warmup: int = 1, impls: Sequence[str] = ()
) -> List[Dict]:
    """Rows of the table for one case and size: views per sample, views/s and the ratio to the stock one.

    Args:
        case (str): One of :data:`CASES`.
        size (str): ``'cifar'`` or ``'imagenet'``.
        images (Sequence[np.ndarray]): The decoded images of one run.
        repeats (int): Measured rounds.
        warmup (int): Unmeasured rounds first. Defaults to 1.
        impls (Sequence[str]): Names of :data:`IMPLEMENTATIONS` to run; empty runs all. Defaults to ().

    Returns:
        list[dict]: One row per implementation with ``case``, ``size``, ``impl``, ``views``, ``views_per_s``,
        ``ratio`` (None without a stock row) and ``images``.
    """
    _check(case, size)
    names = list(impls) or list(IMPLEMENTATIONS)
    built = {name: IMPLEMENTATIONS[name](case, size) for name in names}
    built = {name: fn for name, fn in built.items() if fn is not None}
    views: Dict[str, int] = {}

    def run(name: str) -> Callable[[], float]:
        def work() -> None:
            views[name] = built[name](images)

        return lambda: timed(work)

    seconds = alternating_medians({name: run(name) for name in built}, repeats, warmup)
    rows = []
    for name in built:
        per_sample = views[name] / len(images)
        rows.append(
            dict(
                case=case,
                size=size,
                impl=name,
                views=int(per_sample) if per_sample.is_integer() else per_sample,
                views_per_s=views[name] / seconds[name],
                images=len(images),
            )
        )
    base = next((r['views_per_s'] for r in rows if r['impl'] == STOCK), None)
    for r in rows:
        r['ratio'] = r['views_per_s'] / base if base else None
    return rows


def table(rows: List[Dict]) -> List[str]:
    """The markdown table of the rows."""
    out = [
        '| Case | Size | Implementation | Views per sample | Views/s | Ratio vs stock |',
        '|---|---|---|---|---|---|',
    ]
    for r in rows:
        ratio = '' if r['ratio'] is None else f"{r['ratio']:.3f}"
        out.append(f"| {r['case']} | {r['size']} | {r['impl']} | {r['views']} | {r['views_per_s']:.1f} | {ratio} |")
    return out


def _parse(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--cases', nargs='+', default=list(CASES), choices=list(CASES))
    parser.add_argument('--sizes', nargs='+', default=list(SIZES), choices=list(SIZES))
    parser.add_argument('--impls', nargs='+', default=list(IMPLEMENTATIONS), choices=list(IMPLEMENTATIONS))
    parser.add_argument('--images', type=int, default=None, help=f'images per run (default per size: {DEFAULT_IMAGES})')
    parser.add_argument('--image-dir', default=None, help='real JPEGs, decoded once up front with mmcv.imread')
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--smoke', action='store_true', help='4 images, one repeat, no warm-up')
    parser.add_argument('--write', action='store_true', help='replace the table in docs/benchmarks.md')
    args = parser.parse_args(argv)
    if args.smoke:
        args.images, args.repeats = 4, 1
    if args.images is not None and args.images < 1:
        parser.error(f'--images must be >= 1, got {args.images}')
    if args.repeats < 1:
        parser.error(f'--repeats must be >= 1, got {args.repeats}')
    return args


def _command(args: argparse.Namespace) -> str:
    parts = ['python bench/pipeline.py', '--cases', *args.cases, '--sizes', *args.sizes, '--impls', *args.impls]
    if args.smoke:
        parts.append('--smoke')
    elif args.images is not None:
        parts += ['--images', str(args.images)]
    if args.image_dir is not None:
        parts += ['--image-dir', args.image_dir]
    if not args.smoke:
        parts += ['--repeats', str(args.repeats)]
    parts += ['--seed', str(args.seed)]
    return ' '.join(parts + (['--write'] if args.write else []))


def _run_all(args: argparse.Namespace) -> List[Dict]:
    rows = []
    for size in args.sizes:
        n = args.images or DEFAULT_IMAGES[size]
        if args.image_dir is not None:
            images = load_images(args.image_dir, n)
        else:
            images = synthetic_images(n, *SIZES[size], seed=args.seed)
        for case in args.cases:
            np.random.seed(args.seed)
            new = measure(case, size, images, args.repeats, warmup=0 if args.smoke else 1, impls=args.impls)
            print(*table(new)[2:], sep='\n', flush=True)
            rows += new
    return rows


def main(argv: Optional[List[str]] = None) -> List[Dict]:
    """Run the benchmark, print (and with ``--write`` record) the table; returns the rows."""
    args = _parse(argv)
    from mmssl_ext.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    threads = torch.get_num_threads(), cv2.getNumThreads()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings('ignore', message="Only use 'alpha' for pillow backend")
            rows = _run_all(args)
        source = f'JPEGs of {args.image_dir}' if args.image_dir else 'synthetic smooth images'
        header = (
            f'Machine: {machine_line()}; one worker = 1 thread, {source} decoded up front (decoding excluded). '
            f'Command: `{_command(args)}`.'
        )
    finally:
        torch.set_num_threads(threads[0])
        cv2.setNumThreads(threads[1])
    lines = table(rows)
    print(header, '', *lines, sep='\n')
    if args.write and not args.smoke:
        write_block(
            MARKER,
            'View pipelines: views/s per worker, per-image and batched (bench/pipeline.py)',
            [header, '', *lines],
        )
    return rows


if __name__ == '__main__':
    main()
