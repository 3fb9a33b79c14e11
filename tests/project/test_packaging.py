"""Packaging the OpenMMLab way: a built wheel carries ``.mim`` (configs, tools, model index); installed, it serves
``_base_ = 'mmssl_ext::...'``, ``mim search mmssl_ext`` and ``mim train mmssl_ext CONFIG``; the development
install (``setup.py develop``) serves the same from the source tree."""

import os
import os.path as osp
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.helpers import ROOT

DEMO = 'simclr/simclr_resnet18_1xb64-coslr-20e_digits.py'
CHILD = f"_base_ = 'mmssl_ext::{DEMO}'\ntrain_cfg = dict(max_epochs=3)\n"
_SKIP = shutil.ignore_patterns('.git', '.venv', 'data', 'work_dirs', 'build', '*.egg-info', '__pycache__', '.mim')


@pytest.fixture(scope='module')
def wheel_install(tmp_path_factory):
    """A wheel built from a copy of this checkout, installed into its own folder (``--target``)."""
    base = tmp_path_factory.mktemp('packaging')
    src = base / 'src'
    shutil.copytree(ROOT, src, ignore=_SKIP, symlinks=False)
    pip = [sys.executable, '-m', 'pip', '--disable-pip-version-check']
    subprocess.run([*pip, 'wheel', '--no-deps', '--no-build-isolation', '-w', str(base / 'dist'), str(src)],
                   check=True, capture_output=True, timeout=600)  # fmt: skip
    (wheel,) = (base / 'dist').glob('mmssl_ext-*.whl')
    target = base / 'site'
    subprocess.run([*pip, 'install', '--no-deps', '--target', str(target), str(wheel)],
                   check=True, capture_output=True, timeout=600)  # fmt: skip
    return wheel, target


def _run(target, args, cwd, timeout=600):
    env = dict(os.environ, PYTHONPATH=str(target))  # the installed wheel, not this checkout
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_wheel_carries_configs_tools_and_the_model_index(wheel_install):
    wheel, _ = wheel_install
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = [
        'mmssl_ext/.mim/model-index.yml',
        f'mmssl_ext/.mim/configs/{DEMO}',
        'mmssl_ext/.mim/configs/_base_/default_runtime.py',
        'mmssl_ext/.mim/configs/simclr/metafile.yml',
        'mmssl_ext/.mim/tools/train.py',
        'mmssl_ext/.mim/tools/test.py',
        'mmssl_ext/.mim/tools/analysis_tools/knn_eval.py',
        'mmssl_ext/engine/runner/knn_loops.py',
    ]
    for name in expected:
        assert name in names, name
    shipped = {n for n in names if n.startswith('mmssl_ext/.mim/configs/') and n.endswith('.py')}
    in_tree = {osp.relpath(osp.join(d, f), ROOT) for d, _, fs in os.walk(osp.join(ROOT, 'configs')) for f in fs
               if f.endswith('.py')}  # fmt: skip
    assert {n[len('mmssl_ext/.mim/') :] for n in shipped} == in_tree  # every config, nothing else
    assert not any(n.startswith(('tests/', 'tools/', 'configs/', 'bench/')) for n in names)  # no stray top-levels
    # an existing OpenMMLab environment keeps its torch / mmcv: no exact pins in the wheel's requirements
    meta = next(n for n in names if n.endswith('.dist-info/METADATA'))
    requires = [line for line in zipfile.ZipFile(wheel).read(meta).decode().splitlines() if line.startswith('Requires')]
    specs = [r.split(':', 1)[1].split(';')[0].strip() for r in requires if r.startswith('Requires-Dist')]
    assert not [r for r in specs if r.startswith('torch') or (r.startswith('mm') and '==' in r)], specs
    assert 'mmcv<2.2.0,>=2.0.0' in specs  # the ranges of requirements/mminstall.txt


def test_the_installed_wheel_serves_mmssl_ext_configs_and_mim(wheel_install, tmp_path):
    _, target = wheel_install
    (tmp_path / 'child.py').write_text(CHILD)
    probe = (
        'import mmssl_ext; from mmengine.config import Config; c = Config.fromfile("child.py"); '
        'print(mmssl_ext.__file__); print(c.model.type, c.train_cfg.max_epochs, c.model.backbone.type)'
    )
    out = _run(target, [sys.executable, '-c', probe], tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    module_file, figures = out.stdout.strip().splitlines()[-2:]
    assert module_file.startswith(str(target))  # the wheel's package, not the checkout's
    assert figures == 'ContrastiveSimCLR 3 ResNet'
    mim = osp.join(osp.dirname(sys.executable), 'mim')
    search = _run(target, [mim, 'search', 'mmssl_ext', '--model', 'simclr'], tmp_path)
    assert search.returncode == 0, search.stderr[-3000:]
    assert 'simclr_resnet18_1xb128-lars-coslr-170iter_cifar10' in search.stdout
    work = tmp_path / 'mim_train'
    train = _run(target, [mim, 'train', 'mmssl_ext', osp.basename(DEMO), '--work-dir', str(work), '--cfg-options',
                          'train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=64'], tmp_path)  # fmt: skip
    assert train.returncode == 0, (train.stdout + train.stderr)[-3000:]
    assert osp.join(str(target), 'mmssl_ext', '.mim', 'configs', *DEMO.split('/')) in train.stdout
    assert osp.isfile(work / 'epoch_1.pth')


def test_the_development_install_serves_mmssl_ext_configs_from_the_tree(tmp_path):
    from mmengine.config import Config
    from mmengine.utils import get_installed_path

    import mmssl_ext  # noqa: F401  (names the package in MMEngine's config-package table)

    assert osp.realpath(osp.join(get_installed_path('mmssl_ext'), '.mim', 'configs')) == osp.join(ROOT, 'configs')
    (tmp_path / 'child.py').write_text(CHILD)
    cfg = Config.fromfile(str(tmp_path / 'child.py'))
    assert cfg.model.type == 'ContrastiveSimCLR' and cfg.train_cfg.max_epochs == 3
