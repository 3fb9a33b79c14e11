# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Find a prebuilt mmcv wheel (compiled ops) for the installed torch, CUDA and Python in OpenMMLab's wheel index.

``python tools/misc/mmcv_wheel.py --mmcv 2.1.0 [--index-root URL] [--timeout 15]``

OpenMMLab publishes mmcv wheels with compiled ops at ``{root}/{cu121|cpu}/torch{major}.{minor}/index.html`` (the
index that ``mim install mmcv`` and mmcv's own install guide use); PyPI carries only the source release. On success
the tool prints the index URL (for ``pip install -f URL --only-binary mmcv``) and exits 0. Otherwise it prints why
no wheel can be had (index not reachable, or no wheel there for this mmcv / Python / platform) on stderr and exits
1, and the installer builds mmcv from source.
"""

import argparse
import platform
import re
import sys
import urllib.error
import urllib.request
from typing import List, Optional, Tuple

__all__ = ['index_url', 'wheel_tags', 'find_wheel', 'main']

DEFAULT_ROOT = 'https://download.openmmlab.com/mmcv/dist'


def index_url(root: str, torch_version: str, cuda_version: Optional[str]) -> str:
    """The OpenMMLab wheel-index page for a torch build.

    Args:
        root (str): Index root, e.g. ``https://download.openmmlab.com/mmcv/dist``.
        torch_version (str): ``torch.__version__`` (``'2.1.2+cu121'``).
        cuda_version (str, optional): ``torch.version.cuda`` (``'12.1'``); ``None`` for a CPU build.

    Returns:
        str: ``{root}/{cu121|cpu}/torch{major}.{minor}/index.html``.
    """
    match = re.match(r'(\d+)\.(\d+)', torch_version)
    if match is None:
        raise ValueError(f'torch_version: expected "MAJOR.MINOR[...]", got {torch_version!r}')
    device = 'cpu' if not cuda_version else 'cu' + cuda_version.replace('.', '')
    return f'{root.rstrip("/")}/{device}/torch{match.group(1)}.{match.group(2)}/index.html'


def wheel_tags(python_tag: str, machine: str) -> Tuple[str, Tuple[str, ...]]:
    """The wheel-name parts that fit this interpreter: its Python tag and the platform tags it accepts.

    Args:
        python_tag (str): ``'cp311'``.
        machine (str): ``platform.machine()`` (``'x86_64'``).

    Returns:
        tuple: The Python tag and the accepted platform-tag fragments (``manylinux`` / ``linux`` of the machine).
    """
    return python_tag, (f'linux_{machine}', f'manylinux1_{machine}', f'manylinux2014_{machine}', f'_{machine}')


def find_wheel(page: str, mmcv_version: str, python_tag: str, machine: str) -> Optional[str]:
    """The first wheel on an index page for this mmcv version, Python and machine.

    Args:
        page (str): The index page's HTML (links to ``mmcv-X.Y.Z-cpNN-cpNN-PLATFORM.whl``).
        mmcv_version (str): Wanted mmcv version.
        python_tag (str): ``'cp311'``.
        machine (str): ``platform.machine()``.

    Returns:
        str, optional: The wheel's file name, or ``None`` when the page has none that fits.
    """
    py, platforms = wheel_tags(python_tag, machine)
    names = re.findall(r'(mmcv-[^"\'<>/\s]+?\.whl)', page)
    for name in names:
        parts = name[: -len('.whl')].split('-')
        if len(parts) < 5 or parts[1] != mmcv_version or parts[2] != py:
            continue
        if any(tag in parts[-1] for tag in platforms):
            return name
    return None


def _torch_build() -> Tuple[str, Optional[str]]:
    import torch

    return torch.__version__, torch.version.cuda


def main(argv: Optional[List[str]] = None) -> int:
    """Print the index URL holding a fitting mmcv wheel (exit 0), or why there is none (stderr, exit 1)."""
    parser = argparse.ArgumentParser(description='find a prebuilt mmcv wheel for the installed torch')
    parser.add_argument('--mmcv', required=True, help='mmcv version, e.g. 2.1.0')
    parser.add_argument('--index-root', default=DEFAULT_ROOT, help='wheel index root (default %(default)s)')
    parser.add_argument('--timeout', type=float, default=15.0, help='seconds to wait for the index (default 15)')
    parser.add_argument('--torch', help='torch version to look for (default: the installed one)')
    parser.add_argument('--cuda', help="CUDA version of that torch ('' for a CPU build; default: the installed one)")
    args = parser.parse_args(argv)

    torch_version, cuda = _torch_build() if args.torch is None else (args.torch, args.cuda or None)
    url = index_url(args.index_root, torch_version, cuda)
    python_tag = f'cp{sys.version_info[0]}{sys.version_info[1]}'
    build = f'mmcv {args.mmcv}, torch {torch_version}, {"CUDA " + cuda if cuda else "CPU"}, {python_tag}'
    try:
        with urllib.request.urlopen(url, timeout=args.timeout) as response:
            page = response.read().decode('utf-8', errors='replace')
    except urllib.error.HTTPError as err:
        print(
            f'no prebuilt wheel for {build}: {url} answered HTTP {err.code} (no index for this torch/CUDA)',
            file=sys.stderr,
        )
        return 1
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, 'reason', err)
        print(f'no prebuilt wheel for {build}: {url} is not reachable ({reason})', file=sys.stderr)
        return 1
    name = find_wheel(page, args.mmcv, python_tag, platform.machine())
    if name is None:
        print(f'no prebuilt wheel for {build}: {url} lists none for this mmcv, Python and machine', file=sys.stderr)
        return 1
    print(url)
    print(f'prebuilt wheel for {build}: {name}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
