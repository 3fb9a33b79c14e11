"""The docs site: ``make docs`` builds it with warnings as errors, and the API reference covers every component.

The build is the one ``make docs`` runs (Sphinx, MyST for the Markdown guides, autodoc + napoleon for the API
reference), written into a temporary folder so the checkout stays clean.
"""

import html
import inspect
import os.path as osp
import re
import subprocess
import sys

import pytest

from mmssl_ext import registry as mmssl_registry
from mmssl_ext.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GUIDES = (
    'getting_started',
    'install',
    'custom_data',
    'logging',
    'checkpoints',
    'evaluation',
    'transfer',
    'adding_a_method',
)

pytest.importorskip('sphinx')
pytest.importorskip('myst_parser')


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('docs_html')
    proc = subprocess.run(
        [sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-q', '-b', 'html', 'docs', str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f'sphinx -W failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}'
    return out


def _anchors(site) -> set:
    ids = set()
    for page in ('models', 'datasets', 'evaluation', 'engine', 'utils'):
        with open(osp.join(site, 'api', f'{page}.html'), encoding='utf-8') as f:
            ids.update(re.findall(r'id="(mmssl_ext\.[^"]+)"', f.read()))
    return ids


def test_every_guide_is_a_page_of_the_site(site):
    for guide in GUIDES:
        path = osp.join(site, f'{guide}.html')
        assert osp.isfile(path), f'docs/{guide}.md is not built into the site'
    with open(osp.join(site, 'index.html'), encoding='utf-8') as f:
        index = f.read()
    for guide in GUIDES:
        assert f'href="{guide}.html"' in index, f'{guide} is not in the index toctree'


def test_every_registered_component_has_an_api_entry(site):
    """Each class registered under the mmssl_ext scope is documented from its docstring (one anchor per class)."""
    register_all_modules(init_default_scope=False)
    anchors = _anchors(site)
    documented_names = {a.rsplit('.', 1)[-1] for a in anchors}
    missing = []
    for name in dir(mmssl_registry):
        reg = getattr(mmssl_registry, name)
        if not hasattr(reg, 'module_dict') or getattr(reg, 'scope', None) != 'mmssl_ext':
            continue
        for key, obj in reg.module_dict.items():
            if inspect.isclass(obj) and obj.__module__.startswith('mmssl_ext') and obj.__name__ not in documented_names:
                missing.append(f'{name}:{key} ({obj.__module__})')
    assert not missing, f'registered but absent from docs/api: {sorted(missing)}'


def test_api_entries_carry_the_docstring_text(site):
    """The reference is generated from the code: a class's docstring and its Args appear on its page."""
    from mmssl_ext.engine.runner import KNNValLoop

    with open(osp.join(site, 'api', 'engine.html'), encoding='utf-8') as f:
        page = f.read()
    first_line = re.sub(r'[`*]', '', KNNValLoop.__doc__.strip().splitlines()[0])
    text = re.sub(r'\s+', ' ', html.unescape(re.sub(r'<[^>]+>', '', page))).replace('\u2019', "'")
    assert first_line in text
    assert 'id="mmssl_ext.engine.runner.KNNValLoop"' in page
    assert 'Parameters' in text  # napoleon turned the Args section into a field list
