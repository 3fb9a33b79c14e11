# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Milliseconds per batch of each batched augmentation op against its per-image reference, one thread.

Every row times one op of :mod:`mmssl_ext.models.batch_augments.functional` on a float batch (what
``BatchAugDataPreprocessor`` runs) and the per-image op it equals (PIL / mmcv, looped over the same images as
uint8 arrays), with ``torch.set_num_threads(1)``: a dataloader worker has one core. Parameters are fixed per
sample (factor 1.3, hue shift 0.05, sigma 1.5, 10 degrees, shear 0.1, 3 px, 5 bits, threshold 128, a 20x24 crop
for CIFAR and a 160x200 crop for ImageNet). Runs alternate after a warm-up; each figure is a median.

Usage::

    python bench/batch_ops.py                       # print the table (~1 min)
    python bench/batch_ops.py --write               # and replace its block in docs/benchmarks.md
    python bench/batch_ops.py --smoke               # tiny batches, one repeat (what the test suite runs)
"""

import argparse
import os.path as osp
import sys
from typing import Callable, Dict, List, Optional, Tuple

import mmcv
import numpy as np
import torch
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from bench.common import alternating_medians, machine_line, timed, write_block  # noqa: E402

MARKER = 'bench/batch_ops.py'
SIZES = {'cifar': (256, 32, 32, (20, 24)), 'imagenet': (64, 224, 224, (160, 200))}
"""Size -> (batch, height, width, crop (h, w)); the crop is resized back to (height, width)."""


def _ops(crop: Tuple[int, int], size: Tuple[int, int]) -> Dict[str, Tuple[Callable, Callable]]:
    """Op name -> (batched fn(img), per-image fn(rgb uint8 array))."""
    from mmssl_ext.models.batch_augments import functional as F

    def full(img: torch.Tensor, value: float, dtype=torch.float32) -> torch.Tensor:
        return torch.full((img.shape[0],), value, dtype=dtype)

    def pil(fn: Callable[[Image.Image], Image.Image]) -> Callable[[np.ndarray], np.ndarray]:
        return lambda rgb: np.asarray(fn(Image.fromarray(rgb)))

    ch, cw = crop
    return {
        'brightness': (
            lambda x: F.adjust_brightness(x, full(x, 1.3)),
            pil(lambda i: ImageEnhance.Brightness(i).enhance(1.3)),
        ),
        'contrast': (
            lambda x: F.adjust_contrast(x, full(x, 1.3)),
            pil(lambda i: ImageEnhance.Contrast(i).enhance(1.3)),
        ),
        'saturation': (
            lambda x: F.adjust_saturation(x, full(x, 1.3)),
            pil(lambda i: ImageEnhance.Color(i).enhance(1.3)),
        ),
        'hue': (lambda x: F.adjust_hue(x, full(x, 0.05)), lambda rgb: mmcv.adjust_hue(rgb, 0.05, backend='pillow')),
        'grayscale': (lambda x: F.to_grayscale(x), lambda rgb: mmcv.rgb2gray(rgb, keepdim=True)),
        'blur': (lambda x: F.gaussian_blur(x, full(x, 1.5)), pil(lambda i: i.filter(ImageFilter.GaussianBlur(1.5)))),
        'sharpness': (
            lambda x: F.adjust_sharpness(x, full(x, 1.3)),
            pil(lambda i: ImageEnhance.Sharpness(i).enhance(1.3)),
        ),
        'equalize': (F.equalize, pil(ImageOps.equalize)),
        'autocontrast': (F.autocontrast, pil(ImageOps.autocontrast)),
        'solarize': (lambda x: F.solarize(x, full(x, 128.0)), pil(lambda i: ImageOps.solarize(i, 128))),
        'posterize': (lambda x: F.posterize(x, full(x, 5, torch.long)), pil(lambda i: ImageOps.posterize(i, 5))),
        'rotate': (lambda x: F.rotate(x, full(x, 10.0)), pil(lambda i: i.rotate(10))),
        'shear_x': (
            lambda x: F.shear_x(x, full(x, 0.1)),
            pil(lambda i: i.transform(i.size, Image.Transform.AFFINE, (1, 0.1, 0, 0, 1, 0))),
        ),
        'translate_x': (
            lambda x: F.translate_x(x, full(x, 3.0)),
            pil(lambda i: i.transform(i.size, Image.Transform.AFFINE, (1, 0, 3, 0, 1, 0))),
        ),
        'resized_crop': (
            lambda x: F.resized_crop(x, torch.tensor([[2, 3, 2 + cw, 3 + ch]]).expand(x.shape[0], 4), size),
            lambda rgb: mmcv.imresize(
                rgb[3 : 3 + ch, 2 : 2 + cw], size[::-1], interpolation='bilinear', backend='pillow'
            ),
        ),
    }


def measure(size: str, repeats: int, warmup: int = 1, batch: Optional[int] = None) -> List[Dict]:
    """Rows for one size: ms per batch, batched and per-image, and their ratio."""
    n, h, w, crop = SIZES[size]
    n = batch or n
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (n, max(h // 8, 2), max(w // 8, 2), 3), dtype=np.uint8)
    images = [np.asarray(Image.fromarray(s).resize((w, h), Image.BILINEAR)) for s in small]
    batch_t = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float().contiguous()
    rows = []
    for name, (batched, per_image) in _ops(crop, (h, w)).items():
        runs = {
            'batched': lambda fn=batched: timed(lambda: fn(batch_t)),
            'per-image': lambda fn=per_image: timed(lambda: [fn(img) for img in images]),
        }
        ms = {k: 1000 * v for k, v in alternating_medians(runs, repeats, warmup).items()}
        rows.append(dict(size=size, op=name, batch=n, batched=ms['batched'], per_image=ms['per-image']))
        rows[-1]['speedup'] = ms['per-image'] / ms['batched']
    return rows


def table(rows: List[Dict]) -> List[str]:
    """The markdown table of the rows."""
    out = [
        '| Size | Op | Batch | ms, batched | ms, per-image (PIL / mmcv) | per-image / batched |',
        '|---|---|---|---|---|---|',
    ]
    for r in rows:
        timings = f"{r['batched']:.2f} | {r['per_image']:.2f} | {r['speedup']:.2f}"
        out.append(f"| {r['size']} | {r['op']} | {r['batch']} | {timings} |")
    return out


def main(argv: Optional[List[str]] = None) -> List[Dict]:
    """Run the benchmark, print (and with ``--write`` record) the table; returns the rows."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--sizes', nargs='+', default=list(SIZES), choices=list(SIZES))
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--smoke', action='store_true', help='batch 2, one repeat, no warm-up')
    parser.add_argument('--write', action='store_true', help='replace the table in docs/benchmarks.md')
    args = parser.parse_args(argv)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rows = []
        for size in args.sizes:
            rows += measure(size, 1 if args.smoke else args.repeats, 0 if args.smoke else 1, 2 if args.smoke else None)
        machine = machine_line()  # while the one thread is set
    finally:
        torch.set_num_threads(threads)
    command = f'python bench/batch_ops.py --sizes {" ".join(args.sizes)} --repeats {args.repeats}'
    header = f'Machine: {machine}. Command: `{command} --write`.'
    lines = table(rows)
    print(header, '', *lines, sep='\n')
    if args.write and not args.smoke:
        write_block(
            MARKER, 'Batched augmentation ops vs per-image ops, one thread (bench/batch_ops.py)', [header, '', *lines]
        )
    return rows


if __name__ == '__main__':
    main()
