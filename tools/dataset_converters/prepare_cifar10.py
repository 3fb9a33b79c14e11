# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Unpack the CIFAR-10 JPEG archives into ``data/cifar10/{train,test}/<class>/*.jpg``.

``python tools/dataset_converters/prepare_cifar10.py --src /path/to/cifar10-download [--out data/cifar10]``

Checks the archives against ``SHA256SUMS`` when present, extracts with path-traversal protection,
and verifies that every image of the archive arrived in the 10 class folders (50,000 / 10,000 for the
real CIFAR-10). Idempotent: a complete copy is kept.
"""

import argparse
import hashlib
import os
import os.path as osp
import sys
import tarfile
from typing import Dict, List, Optional

ARCHIVES = {'train': 'cifar10-jpg-train.tar.gz', 'test': 'cifar10-jpg-test.tar.gz'}
CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')


def sha256(path: str) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def count_images(split_dir: str) -> Dict[str, int]:
    """Images per class folder of one split."""
    return {
        c: len([f for f in os.listdir(osp.join(split_dir, c)) if f.lower().endswith('.jpg')])
        for c in CLASSES
        if osp.isdir(osp.join(split_dir, c))
    }


def prepare(src: str, out: str, verify: bool = True) -> None:
    """Extract both splits of ``src`` into ``out``; skip a split that is already complete."""
    sums = {}
    sums_file = osp.join(src, 'SHA256SUMS')
    if verify and osp.isfile(sums_file):
        with open(sums_file, encoding='utf-8') as f:
            sums = {name: digest for digest, name in (line.split() for line in f if line.strip())}
    os.makedirs(out, exist_ok=True)
    for split, name in ARCHIVES.items():
        split_dir = osp.join(out, split)
        archive = osp.join(src, name)
        if not osp.isfile(archive):
            raise FileNotFoundError(f'{archive} not found: pass --src, the folder holding {list(ARCHIVES.values())}')
        with tarfile.open(archive, 'r:gz') as tar:
            members = tar.getmembers()
        expected = sum(1 for m in members if m.isfile() and m.name.lower().endswith('.jpg'))
        if osp.isdir(split_dir) and sum(count_images(split_dir).values()) == expected:
            print(f'{split_dir}: complete ({expected} images), kept')
            continue
        if name in sums and sha256(archive) != sums[name]:
            raise ValueError(f'{archive}: SHA-256 does not match {sums_file}; the archive is corrupt')
        print(f'extracting {archive} -> {out}')
        root = osp.realpath(out)
        with tarfile.open(archive, 'r:gz') as tar:
            for m in members:
                target = osp.realpath(osp.join(out, m.name))
                if not (target == root or target.startswith(root + os.sep)) or m.issym() or m.islnk():
                    raise ValueError(f'{archive}: unsafe member {m.name!r}')
            tar.extractall(out, members=members)
        counts = count_images(split_dir)
        if len(counts) != len(CLASSES) or sum(counts.values()) != expected:
            raise ValueError(f'{split_dir}: expected {expected} images in 10 classes, got {counts}')
        print(f'{split_dir}: {sum(counts.values())} images in {len(counts)} classes')


def main(argv: Optional[List[str]] = None) -> None:
    """Entry point."""
    here = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    parser = argparse.ArgumentParser(description='Unpack CIFAR-10 JPEG archives into folder layout')
    parser.add_argument(
        '--src',
        required=True,
        help='your download: the folder with cifar10-jpg-{train,test}.tar.gz (and optionally SHA256SUMS)',
    )
    parser.add_argument('--out', default=osp.join(here, 'data', 'cifar10'), help='output (default data/cifar10)')
    parser.add_argument('--no-verify', action='store_true', help='skip the SHA-256 check')
    args = parser.parse_args(argv)
    prepare(args.src, args.out, verify=not args.no_verify)


if __name__ == '__main__':
    sys.exit(main())
