"""Budget benchmark methods: every method's config exists."""

import os.path as osp

from tests.helpers import ROOT
from tools.benchmarks.budget.methods import METHODS


def test_every_method_config_exists():
    for name, method in METHODS.items():
        assert osp.exists(osp.join(ROOT, method.config)), (name, method.config)
