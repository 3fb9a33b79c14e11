"""docs/logging.md: each config snippet and ``--cfg-options`` recipe, applied to shipped configs as a user would.

Only the configs are built, not the backends (test_logging_tensorboard.py runs the TensorBoard one).
"""

import inspect
import os.path as osp
import re
import shlex
from typing import Any, List

import pytest
from mmengine.config import Config
from mmengine.registry import VISBACKENDS

from mmssl_ext.utils.config import load_config
from tests.helpers import ROOT, config_path

DOC = osp.join(ROOT, 'docs', 'logging.md')
CONFIGS = [
    config_path('simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py'),
    config_path('mocov2', 'mocov2_resnet18_1xb256-coslr-1000e_cifar10.py'),
]


def _blocks(lang: str) -> List[str]:
    """The fenced ``lang`` code blocks of the page."""
    with open(DOC, encoding='utf-8') as f:
        return re.findall(rf'```{lang}\n(.*?)```', f.read(), flags=re.S)


def _train_commands() -> List[List[str]]:
    """The ``python tools/train.py`` commands of the bash blocks, as argv lists (continuations joined)."""
    commands = []
    for block in _blocks('bash'):
        for line in block.replace('\\\n', ' ').splitlines():
            argv = shlex.split(line.split('#')[0])
            if argv[:2] == ['python', 'tools/train.py']:
                commands.append(argv[2:])
    return commands


def _backend_types(backends: Any) -> List[str]:
    """The ``type`` of each backend, in order."""
    return [b['type'] for b in backends]


def _check_backend_args(backends: Any) -> None:
    """Every documented backend exists in MMEngine and takes the documented arguments."""
    for backend in backends:
        cls = VISBACKENDS.get(backend['type'])
        assert cls is not None, f"{backend['type']} is not an MMEngine visualization backend"
        params = inspect.signature(cls.__init__).parameters
        unknown = set(backend) - {'type'} - set(params)
        assert not unknown, f"{backend['type']} takes no {sorted(unknown)}"


SNIPPETS = _blocks('python')
COMMANDS = _train_commands()


def test_the_page_documents_both_backends_both_ways():
    documented = {t for s in SNIPPETS for t in re.findall(r"type='(\w+VisBackend)'", s)}
    assert {'LocalVisBackend', 'TensorboardVisBackend', 'WandbVisBackend'} <= documented
    recipes = {opt.split('=', 1)[1] for argv in COMMANDS for opt in argv if '.type=' in opt}
    assert {'TensorboardVisBackend', 'WandbVisBackend'} <= recipes
    assert any('--resume' in argv for argv in COMMANDS)  # the W&B resume recipe


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
@pytest.mark.parametrize('snippet', SNIPPETS, ids=lambda s: f'snippet{SNIPPETS.index(s)}')
def test_snippet_merged_into_a_shipped_config(tmp_path, config, snippet):
    user_cfg = tmp_path / 'my_config.py'
    user_cfg.write_text(f'_base_ = [{config!r}]\n{snippet}')
    cfg = Config.fromfile(str(user_cfg))
    namespace: dict = {}
    exec(snippet, namespace)  # the snippet as plain python: what it asks for
    expected = namespace['visualizer']['vis_backends']
    backends = cfg.to_dict()['visualizer']['vis_backends']
    assert backends == expected  # the documented list, replacing the base one
    assert _backend_types(backends) == re.findall(r"type='(\w+VisBackend)'", snippet)
    assert cfg.visualizer.type == 'UniversalVisualizer'  # the rest of the base visualizer is kept
    _check_backend_args(backends)


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
@pytest.mark.parametrize('argv', COMMANDS, ids=lambda a: f'recipe{COMMANDS.index(a)}')
def test_cfg_options_recipe_on_a_shipped_config(monkeypatch, config, argv):
    from tools.train import parse_args

    monkeypatch.setenv('LOCAL_RANK', '0')  # parse_args sets it when missing
    args = parse_args([config if a == 'CONFIG' else a for a in argv])
    cfg = load_config(args.config, args.cfg_options)
    for key, value in args.cfg_options.items():
        node: Any = cfg
        for part in key.split('.'):
            node = node[int(part)] if part.isdigit() else node[part]
        assert node == value, key
    backends = cfg.to_dict()['visualizer']['vis_backends']
    assert len(backends) == 1 and backends[0]['type'] == args.cfg_options['visualizer.vis_backends.0.type']
    _check_backend_args(backends)
