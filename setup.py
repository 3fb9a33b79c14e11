# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Installation script for mmssl_ext (``pip install -e .``)."""

import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
#: What OpenMMLab's tools look for in an installed package's ``.mim`` folder: ``mim train / test / search`` and
#: MMEngine's ``_base_ = 'mmssl_ext::...'`` read the configs, the tools and the model index from there.
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def read_version() -> str:
    """Read ``__version__`` from ``mmssl_ext/version.py`` without importing."""
    scope: dict = {}
    with open(osp.join(HERE, 'mmssl_ext', 'version.py'), encoding='utf-8') as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def read_requirements(name: str) -> list:
    """Read one ``requirements/*.txt`` file, skipping comments."""
    with open(osp.join(HERE, 'requirements', name), encoding='utf-8') as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


def add_mim_extension() -> None:
    """Put the configs, tools and model index into ``mmssl_ext/.mim``, as OpenMMLab packages do.

    A wheel or sdist (``bdist_wheel``, ``sdist``, ``install``, ``build``) gets copies, so the installed package is
    self-contained; a development install (``develop``: ``pip install --no-use-pep517 -e .``) gets symbolic links
    to the source tree. Other commands (``egg_info`` alone, ``--version``) leave ``.mim`` as it is.
    """
    if 'develop' in sys.argv:
        mode = 'symlink'
    elif any(cmd in sys.argv for cmd in ('bdist_wheel', 'sdist', 'install', 'build')):
        mode = 'copy'
    else:
        return
    mim_dir = osp.join(HERE, 'mmssl_ext', '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for name in MIM_FILES:
        src, dst = osp.join(HERE, name), osp.join(mim_dir, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_dir), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src, dst)


add_mim_extension()

setup(
    name='mmssl_ext',
    version=read_version(),
    description='Contrastive self-supervised learning methods for OpenMMLab (mmpretrain / mmdet)',
    long_description=open(osp.join(HERE, 'README.md'), encoding='utf-8').read()
    if osp.exists(osp.join(HERE, 'README.md'))
    else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=('mmssl_ext', 'mmssl_ext.*')),  # tools and configs travel in .mim
    include_package_data=True,
    package_data={'mmssl_ext': ['.mim/model-index.yml', '.mim/configs/**/*', '.mim/tools/**/*']},
    python_requires='>=3.9',
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'mim': read_requirements('mminstall.txt'),
        'tests': read_requirements('tests.txt'),
        'optional': read_requirements('optional.txt'),
    },
    license='Apache License 2.0',
    zip_safe=False,
)
