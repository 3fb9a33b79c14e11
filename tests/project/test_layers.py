"""No import runs back up the package's layers, and every subpackage imports alone (no import cycle).

Layers, bottom to top: ``version`` < ``compat`` < ``registry`` < ``utils`` < ``datasets`` < ``models`` <
``evaluation`` < ``engine`` < ``integrations`` < ``testing`` (development instruments: the product never imports
them). A module may import its own layer and the layers below it
(``import mmssl_ext`` itself loads ``version`` and ``compat``). ``docs/architecture.md`` says what each layer owns.
"""

import ast
import os.path as osp
import pathlib
import subprocess
import sys

import pytest

from tests.helpers import ROOT as CHECKOUT

ROOT = pathlib.Path(CHECKOUT)
PACKAGE = ROOT / 'mmssl_ext'
LAYERS = [
    'version',
    'compat',
    'registry',
    'utils',
    'datasets',
    'models',
    'evaluation',
    'engine',
    'integrations',
    'testing',
]
RANK = {name: i for i, name in enumerate(LAYERS)}
# (file, imported layer): the deliberate exceptions, with their reasons
ALLOWED = {
    # register_all_modules fills every registry: the package's entry point, imported lazily inside the function
    ('mmssl_ext/utils/setup_env.py', 'datasets'),
    ('mmssl_ext/utils/setup_env.py', 'models'),
    ('mmssl_ext/utils/setup_env.py', 'evaluation'),
    ('mmssl_ext/utils/setup_env.py', 'engine'),
    # deprecated alias of integrations.mmdet, kept for one release
    ('mmssl_ext/models/mmdet_plugins.py', 'integrations'),
    # deprecated aliases of testing.smoke / testing.sync_counter, kept for one release
    ('mmssl_ext/utils/smoke.py', 'testing'),
    ('mmssl_ext/utils/sync_counter.py', 'testing'),
}


def _layer_of(path: pathlib.Path, package: pathlib.Path) -> str:
    return path.relative_to(package).parts[0].removesuffix('.py')


def _imported_layers(path: pathlib.Path, package: pathlib.Path):
    """``(line, layer)`` of every mmssl_ext import in the file, at any depth (lazy imports included)."""
    module_parts = list(path.relative_to(package.parent).with_suffix('').parts)
    if module_parts[-1] == '__init__':
        module_parts = module_parts[:-1]
    package_parts = module_parts if path.name == '__init__.py' else module_parts[:-1]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                names = ['.'.join(base + ([node.module] if node.module else []))]
            else:
                names = [node.module or '']
        for name in names:
            parts = name.split('.')
            if parts[0] == 'mmssl_ext' and len(parts) > 1:
                yield node.lineno, parts[1]


def _violations(package: pathlib.Path = PACKAGE):
    found = []
    for path in sorted(p for p in package.rglob('*.py') if '.mim' not in p.parts):  # .mim: setup.py's links
        if path.parent == package and path.name == '__init__.py':
            continue
        own = _layer_of(path, package)
        rel = path.relative_to(package.parent).as_posix()
        for line, layer in _imported_layers(path, package):
            if layer in RANK and RANK[layer] > RANK[own] and (rel, layer) not in ALLOWED:
                found.append(f'{rel}:{line} imports mmssl_ext.{layer} (layer {own} is below it)')
    return found


def test_no_import_runs_up_the_layers():
    assert _violations() == []


def test_every_subpackage_is_a_layer():
    names = {p.name.removesuffix('.py') for p in PACKAGE.iterdir() if p.suffix == '.py' or (p / '__init__.py').exists()}
    assert names - {'__init__'} <= set(LAYERS), names - set(LAYERS)


def test_the_check_sees_an_upward_import(tmp_path):
    # a probe package of its own (the real one is read by other workers at the same time)
    bad = tmp_path / 'mmssl_ext' / 'datasets' / '_layer_probe.py'
    bad.parent.mkdir(parents=True)
    bad.write_text('from mmssl_ext.engine import SSLRunner\n\n\ndef f():\n    from ..models import losses\n')
    assert _violations(tmp_path / 'mmssl_ext') == [
        'mmssl_ext/datasets/_layer_probe.py:1 imports mmssl_ext.engine (layer datasets is below it)',
        'mmssl_ext/datasets/_layer_probe.py:5 imports mmssl_ext.models (layer datasets is below it)',
    ]


@pytest.mark.parametrize('layer', [name for name in LAYERS if name != 'integrations'] + ['integrations.mmdet'])
def test_each_layer_imports_alone_and_loads_no_layer_above(layer):
    code = (
        f'import mmssl_ext.{layer}, sys; '
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('mmssl_ext.') and m.count('.') >= 1}))"
    )
    proc = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = set(ast.literal_eval(proc.stdout.strip().splitlines()[-1]))
    top = layer.split('.')[0]
    above = {name for name in loaded - {'version', 'compat'} if name in RANK and RANK[name] > RANK[top]}
    assert above == set(), f'importing mmssl_ext.{layer} loaded {sorted(above)}'
    assert osp.isdir(PACKAGE) and top in loaded
