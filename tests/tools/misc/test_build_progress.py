# Copyright (c) mmssl_ext contributors. All rights reserved.
"""The installer's mmcv build filter: one ``[i/n] SOURCE`` line per compiled file, errors kept, the rest hidden."""

import os.path as osp
import shutil
import subprocess

import pytest

AWK = osp.join(osp.dirname(__file__), '..', '..', '..', 'tools', 'misc', 'build_progress.awk')

# The shape of `pip wheel -v` output around ninja, as an mmcv ops build prints it.
BUILD_LOG = """\
Processing ./mmcv
  running build_ext
  [1/3] c++ -MMD -MF /b/roi_align.o.d -pthread -O2 -c /src/mmcv/ops/csrc/pytorch/roi_align.cpp -o /b/roi_align.o
  warning: unused variable 'k' [-Wunused-variable]
  [2/3] c++ -MMD -MF /b/nms.o.d -c /src/mmcv/ops/csrc/pytorch/nms.cpp -o /b/nms.o
  /src/mmcv/ops/csrc/pytorch/nms.cpp:12:3: error: 'foo' was not declared in this scope
  [3/3] c++ -shared /b/roi_align.o /b/nms.o -o build/lib/mmcv/_ext.so
  creating build/bdist.linux-x86_64/wheel
"""


@pytest.mark.skipif(shutil.which('awk') is None, reason='needs awk (the installer needs it too)')
@pytest.mark.parametrize('indent', ['  ', ''], ids=['pip-verbose', 'ninja'])
def test_filter_prints_one_line_per_file_the_link_and_errors(indent: str) -> None:
    log = '\n'.join(indent + line.strip() for line in BUILD_LOG.splitlines())
    out = subprocess.run(['awk', '-f', AWK], input=log, capture_output=True, text=True, check=True).stdout
    out = [line.strip() for line in out.splitlines()]
    assert out == [
        '[1/3] roi_align.cpp',
        '[2/3] nms.cpp',
        "/src/mmcv/ops/csrc/pytorch/nms.cpp:12:3: error: 'foo' was not declared in this scope",
        '[3/3] link',
    ]
